using System.CommandLine;
using System.Text.Json;

namespace Hourdini.Cli.Commands;

/// <summary>Options every command understands, and the way every command runs and fails.</summary>
public sealed class CommonOptions
{
    public Option<string?> Url { get; } = new("--url")
    {
        Description = "The Hourdini server, e.g. http://127.0.0.1:5080 (default: HOURDINI_URL, then the saved login).",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the API's JSON instead of a table.",
        Recursive = true,
    };

    /// <summary>Runs an API call with the resolved server and token; refusals print their code and exit 1.</summary>
    public void Action(Command command, Func<ParseResult, HourdiniApi, CancellationToken, Task<JsonElement>> call, Action<JsonElement> show) =>
        command.SetAction(async (parse, ct) => await RunAsync(async () =>
        {
            using var api = new HourdiniApi(Settings.ResolveUrl(parse.GetValue(Url)), Settings.ResolveToken());
            var body = await call(parse, api, ct);
            if (parse.GetValue(Json))
            {
                Output.Json(body);
            }
            else
            {
                show(body);
            }
        }));

    public static async Task<int> RunAsync(Func<Task> work)
    {
        try
        {
            await work();
            return 0;
        }
        catch (CliException e)
        {
            Console.Error.WriteLine(e.Code is null ? $"error: {e.Message}" : $"error ({e.Code}): {e.Message}");
            return e.ExitCode;
        }
    }

    /// <summary>The API takes a project by id, or by (part of) its name.</summary>
    public static (string? Id, string? Name) Project(string project) =>
        Guid.TryParse(project, out _) ? (project, null) : (null, project);

    /// <summary>A query string of the parameters that have a value.</summary>
    public static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToArray();
        return present.Length == 0 ? "" : "?" + string.Join('&', present);
    }
}
