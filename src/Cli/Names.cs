using System.Text.Json;

namespace Hourdini.Cli;

/// <summary>Project names for the tables, read once per command (archived projects too: old entries name them).</summary>
public sealed class Names(IReadOnlyDictionary<string, string> projects)
{
    public static Names None { get; } = new(new Dictionary<string, string>());

    /// <summary>The names, or none (the tables show ids) when they cannot be read: the command itself has already been done.</summary>
    public static async Task<Names> LoadAsync(HourdiniApi api, CancellationToken ct)
    {
        try
        {
            var projects = await api.GetAsync("projects?include_archived=true", ct);
            return new Names(projects.GetProperty("projects").EnumerateArray()
                .ToDictionary(p => Output.Str(p, "id"), p => Output.Str(p, "name")));
        }
        catch (CliException)
        {
            return None;
        }
    }

    /// <summary>The project's name; its id when the caller cannot see it (e.g. a viewer's entry on a project since removed).</summary>
    public string Project(string id) => projects.TryGetValue(id, out var name) ? name : id;

    public static bool Archived(JsonElement e) => e.TryGetProperty("archived", out var archived) && archived.ValueKind == JsonValueKind.True;
}
