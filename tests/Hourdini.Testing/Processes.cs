using System.Diagnostics;

namespace Hourdini.Testing;

/// <summary>
/// Runs a program to completion and fails with what it printed if it exits non-zero. One source file, compiled
/// into both the test library and the load tool (which must not depend on xunit or the gateway), hence internal.
/// </summary>
internal static class Processes
{
    public static async Task RunAsync(string file, IEnumerable<string> args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', info.ArgumentList)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }
}
