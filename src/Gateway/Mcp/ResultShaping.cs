using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Hourdini.Grains.Common;
using Hourdini.Silo.Storage;
using Hourdini.Silo.Storage.Catalog;

namespace Hourdini.Gateway.Mcp;

/// <summary>What a tool or resource answers: the API's JSON body, shaped for a model and with its projects named.</summary>
public static class McpResults
{
    public static async Task<JsonObject> BodyAsync(Answer answer, HttpContext http, params IEnumerable<Action<JsonObject>?> shapes)
    {
        var body = JsonSerializer.SerializeToNode(answer.Body, McpEndpoint.ReadableJson)!.AsObject();
        foreach (var shape in shapes)
        {
            shape?.Invoke(body);
        }

        await ProjectNames.AddAsync(body, http, http.RequestServices.GetRequiredService<CatalogStore>());
        return body;
    }
}

/// <summary>A model reads names, not ids: every object of a tool's result that has a <c>project_id</c> gets its <c>project_name</c> beside it.</summary>
public static class ProjectNames
{
    public static async Task AddAsync(JsonObject body, HttpContext http, CatalogStore catalog)
    {
        var holders = Holders(body).ToList();
        if (holders.Count == 0)
        {
            return;
        }

        // Only the projects the result names, archived too (a stopped session's may be); the result already holds only what
        // the caller may see. Names are a courtesy: the answer stands without them (a write has committed by now).
        var ids = holders.Select(h => Guid.TryParse(h["project_id"]!.GetValue<string>(), out var id) ? id : Guid.Empty).ToHashSet();
        IReadOnlyDictionary<Guid, string> names;
        try
        {
            names = await catalog.ProjectNamesAsync(http.Caller().OrgId, ids, http.RequestAborted);
        }
        catch (StorageUnavailableException)
        {
            names = new Dictionary<Guid, string>();
        }

        foreach (var holder in holders)
        {
            var name = Guid.TryParse(holder["project_id"]!.GetValue<string>(), out var id) ? names.GetValueOrDefault(id) : null;
            holder.Insert(holder.IndexOf("project_id") + 1, "project_name", name);
        }
    }

    private static IEnumerable<JsonObject> Holders(JsonNode? node) => node switch
    {
        JsonObject o => (o["project_id"] is JsonValue id && id.GetValueKind() == JsonValueKind.String && !o.ContainsKey("project_name")
                ? new[] { o }
                : []).Concat(o.SelectMany(p => Holders(p.Value))),
        JsonArray a => a.SelectMany(Holders),
        _ => [],
    };
}

/// <summary>
/// Cursor pages over <c>list_projects</c> (the API answers them whole, ordered by name): the cursor names the last project
/// of the page, so a page starts right after it.
/// </summary>
public static class ProjectPages
{
    public static Answer Page(Answer all, string? cursor, int? limit)
    {
        var projects = JsonSerializer.SerializeToNode(all.Body, McpEndpoint.ReadableJson)!["projects"]!.AsArray();
        var size = Validate.Limit(limit);
        var start = cursor is null ? 0 : Start(projects, cursor);
        var page = projects.Skip(start).Take(size).Select(p => p!.DeepClone()).ToArray();
        var next = start + size < projects.Count ? Base64Url.EncodeToString(Guid.Parse(page[^1]!["id"]!.GetValue<string>()).ToByteArray()) : null;
        return new Answer(new JsonObject { ["projects"] = new JsonArray(page), ["next_cursor"] = next });
    }

    private static int Start(JsonArray projects, string cursor)
    {
        Guid last;
        try
        {
            last = new Guid(Base64Url.DecodeFromChars(cursor));
        }
        catch (Exception error) when (error is FormatException or ArgumentException)
        {
            throw Refusal.Invalid("cursor is not one list_projects returned.");
        }

        var index = projects.Select(p => p!["id"]!.GetValue<string>()).ToList().IndexOf(last.ToString());
        return index >= 0
            ? index + 1
            : throw Refusal.Invalid("cursor is not one list_projects returned (or its project was archived since); start again without it.");
    }
}
