using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Hourdini.Cli.Commands;

/// <summary>
/// <c>--limit</c>, <c>--cursor</c> and <c>--all</c> for the lists the API answers a page at a time (with <c>next_cursor</c>).
/// </summary>
public sealed class PagedList(string collection, string what)
{
    private const int MaxPage = 200;

    public Option<int?> Limit { get; } = new("--limit")
    {
        Description = $"How many per page (1 to {MaxPage}; default 50).",
        CustomParser = result =>
        {
            if (int.TryParse(result.Tokens[0].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= MaxPage)
            {
                return limit;
            }

            result.AddError($"--limit must be a whole number from 1 to {MaxPage}, e.g. --limit 20.");
            return null;
        },
    };

    public Option<string?> Cursor { get; } = new("--cursor") { Description = "Continue where the previous page ended (it prints the cursor)." };

    public Option<bool> All { get; } = new("--all") { Description = "Every page, to the end." };

    public IEnumerable<Option> Options => [Limit, Cursor, All];

    /// <summary>One page from <c>--cursor</c> on, or with <c>--all</c> every page, as one answer in the API's shape.</summary>
    public async Task<JsonElement> GetAsync(ParseResult parse, HourdiniApi api, string path, (string Name, string? Value)[] filters, CancellationToken ct)
    {
        var all = parse.GetValue(All);
        var limit = parse.GetValue(Limit) ?? (all ? MaxPage : null);
        var cursor = parse.GetValue(Cursor);
        var items = new List<JsonElement>();
        do
        {
            var page = await api.GetAsync(path + CommonOptions.Query(
                [.. filters, ("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)]), ct);
            items.AddRange(page.GetProperty(collection).EnumerateArray());
            cursor = Output.Str(page, "next_cursor") is { Length: > 0 } next ? next : null;
        }
        while (all && cursor is not null);

        return JsonSerializer.SerializeToElement(new Dictionary<string, object?> { [collection] = items, ["next_cursor"] = cursor });
    }

    /// <summary>Under a page that is not the last: how to get the next one.</summary>
    public void Hint(JsonElement body)
    {
        if (Output.Str(body, "next_cursor") is { Length: > 0 } cursor)
        {
            // On a line of its own: a cursor is long, and a terminal must not break it.
            Output.Note($"More {what}. For the next page, add to the same command (or use --all):");
            Output.Note($"  --cursor {cursor}");
        }
    }

    /// <summary>
    /// The whole id of one of the caller's items given as the tables show it (its last characters), looked for among the
    /// most recent thousand; a whole id is taken as it is.
    /// </summary>
    public async Task<string> ResolveAsync(HourdiniApi api, string path, string given, CancellationToken ct)
    {
        given = given.Trim();
        if (Guid.TryParse(given, out _) || given.Length < 4)
        {
            return given; // a whole id, or too short to look for: the API answers for it
        }

        var found = new List<string>();
        string? cursor = null;
        for (var page = 0; page < 5; page++) // every page, so that a second match further back is seen: ambiguous, not the newest
        {
            var answer = await api.GetAsync(path + CommonOptions.Query(("limit", MaxPage.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)), ct);
            found.AddRange(answer.GetProperty(collection).EnumerateArray().Select(e => Output.Str(e, "id"))
                .Where(id => id.EndsWith(given, StringComparison.OrdinalIgnoreCase)));
            cursor = Output.Str(answer, "next_cursor") is { Length: > 0 } next ? next : null;
            if (cursor is null)
            {
                break;
            }
        }

        return found switch
        {
            [var one] => one,
            [] => throw new CliException(
                $"None of your recent {what} has an id ending in '{given}'. Give the whole id (--format tsv shows whole ids).", "not_found"),
            _ => throw new CliException($"Several of your {what} have ids ending in '{given}'. Give the whole id (--format tsv shows whole ids).", "ambiguous_id"),
        };
    }
}
