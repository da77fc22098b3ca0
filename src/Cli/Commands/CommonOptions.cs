using System.CommandLine;
using System.Text.Json;

namespace Hourdini.Cli.Commands;

/// <summary>Options every command understands, and the way every command runs and fails.</summary>
public sealed class CommonOptions
{
    public Option<string?> Url { get; } = UrlOption();

    public Option<string?> Format { get; } = FormatOption();

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the API's JSON (same as --format json).",
        Recursive = true,
    };

    /// <summary>Runs an API call with the resolved server and token; refusals print their code and exit 1.</summary>
    public void Action(Command command, Func<ParseResult, HourdiniApi, CancellationToken, Task<JsonElement>> call, Action<JsonElement> show) =>
        Action(command, call, (body, _) => show(body), withNames: false);

    /// <summary>As <see cref="Action(Command, Func{ParseResult, HourdiniApi, CancellationToken, Task{JsonElement}}, Action{JsonElement})"/>, for tables that name projects.</summary>
    public void Action(Command command, Func<ParseResult, HourdiniApi, CancellationToken, Task<JsonElement>> call, Action<JsonElement, Names> show) =>
        Action(command, call, show, withNames: true);

    /// <summary>
    /// As <see cref="Action(Command, Func{ParseResult, HourdiniApi, CancellationToken, Task{JsonElement}}, Action{JsonElement, Names})"/>,
    /// for a start that may stop the caller's running timer into an entry (the answer's <paramref name="stoppedEntry"/>): that
    /// is said in every format, on standard error beside JSON, because the caller did not ask for it.
    /// </summary>
    public void Action(Command command, Func<ParseResult, HourdiniApi, CancellationToken, Task<JsonElement>> call, string stoppedEntry, Action<JsonElement, Names> show) =>
        Action(command, call, show, withNames: true, stoppedEntry);

    private void Action(
        Command command, Func<ParseResult, HourdiniApi, CancellationToken, Task<JsonElement>> call, Action<JsonElement, Names> show, bool withNames, string? stoppedEntry = null) =>
        command.SetAction(async (parse, ct) => await RunAsync(async () =>
        {
            Output.Format = parse.GetValue(Json) ? OutputFormat.Json : parse.GetValue(Format) is { } format ? Enum.Parse<OutputFormat>(format, ignoreCase: true) : Output.Format;
            using var api = new HourdiniApi(Settings.ResolveUrl(parse.GetValue(Url)), Settings.ResolveToken());
            var body = await call(parse, api, ct);
            var stopped = stoppedEntry is not null && body.TryGetProperty(stoppedEntry, out var entry) && entry.ValueKind == JsonValueKind.Object ? entry : (JsonElement?)null;
            if (Output.Format == OutputFormat.Json)
            {
                Output.Json(body);
                if (stopped is { } json)
                {
                    Output.Note(StoppedTimer(json, await Names.LoadAsync(api, ct)));
                }
            }
            else
            {
                var names = withNames ? await Names.LoadAsync(api, ct) : Names.None;
                if (stopped is { } shown)
                {
                    Output.Note(StoppedTimer(shown, names));
                }

                show(body, names);
            }
        }));

    /// <summary>What a start did to the running timer: its project, how long it ran, and the entry it became.</summary>
    private static string StoppedTimer(JsonElement entry, Names names)
    {
        var id = Output.Id(entry);
        return $"Stopped the running timer: {names.Project(Output.Str(entry, "project_id"))} {Output.Duration(entry, "duration_seconds")} " +
            $"(entry {(Output.Format == OutputFormat.Table ? id.Text : id.Plain)}).";
    }

    /// <summary><c>--url</c>: an address that is not http(s) is a command line error (exit 2), found before anything is sent.</summary>
    private static Option<string?> UrlOption()
    {
        var url = new Option<string?>("--url")
        {
            Description = "The Hourdini server, e.g. http://127.0.0.1:5080 (default: HOURDINI_URL, then the saved login).",
            Recursive = true,
        };
        url.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && Settings.HttpUrl(token.Value) is null)
            {
                result.AddError($"--url '{token.Value}' is not an http(s) URL; give one like {Settings.DefaultUrl}.");
            }
        });
        return url;
    }

    private static Option<string?> FormatOption()
    {
        var format = new Option<string?>("--format")
        {
            Description = "table, tsv or json (default: a table in a terminal, tab-separated values without a header when piped).",
            Recursive = true,
        };
        format.AcceptOnlyFromAmong("table", "tsv", "json");
        return format;
    }

    public static async Task<int> RunAsync(Func<Task> work)
    {
        try
        {
            await work();
            return 0;
        }
        catch (CliException e)
        {
            return Fail(e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A local file no command expected to fail (they name their path themselves): one line, not a stack trace.
            return Fail(new CliException($"A file on this computer could not be used: {e.Message}", CliException.LocalFileCode));
        }
    }

    private static int Fail(CliException e)
    {
        Console.Error.WriteLine(e.Code is null ? $"error: {e.Message}" : $"error ({e.Code}): {e.Message}");
        return e.ExitCode;
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
