using System.Diagnostics;

namespace Hourdini.Testing;

/// <summary>
/// The npm tools the tests drive (tests/node/package.json, installed by deploy/test.sh with <c>npm ci</c>):
/// Redocly CLI, openapi-typescript, tsc, axe-core. A missing install fails the test with the command that fixes it.
/// </summary>
public static class NodeTools
{
    /// <summary>The repository's root: the folder holding Hourdini.sln above the test binaries.</summary>
    public static string RepositoryRoot { get; } = LocateRoot();

    /// <summary>tests/node, where package.json and node_modules live.</summary>
    public static string Directory => Path.Combine(RepositoryRoot, "tests", "node");

    /// <summary>A file inside an installed package, e.g. <c>Module("axe-core/axe.min.js")</c>.</summary>
    public static string Module(string relativePath)
    {
        var path = Path.Combine(Directory, "node_modules", relativePath);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: run `deploy/test.sh` or `cd tests/node && npm ci`.");
        }

        return path;
    }

    /// <summary>Runs a tool from node_modules/.bin and returns its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string tool, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var file = Module(Path.Combine(".bin", tool));
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Directory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["REDOCLY_TELEMETRY"] = "off";
        info.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', info.ArgumentList)} ran past its timeout");
        }

        return (process.ExitCode, await output + await error);
    }

    private static string LocateRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hourdini.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Hourdini.sln not found above " + AppContext.BaseDirectory);
    }
}
