using System.ComponentModel;
using System.Text.Json;
using Hourdini.Gateway.Api;
using Hourdini.Silo.Storage.Catalog;
using Hourdini.Silo.Storage.Tracking;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Hourdini.Gateway.Mcp;

/// <summary>
/// Resources a host can show or attach without a tool call: the caller's open sessions and the projects it may work on, as
/// the tools <c>list_sessions</c> and <c>list_projects</c> answer them (an agent's narrowed as there, R22).
/// </summary>
[McpServerResourceType]
public sealed class HourdiniResources(IHttpContextAccessor accessor)
{
    public const string OpenSessionsUri = "hourdini://sessions/open";

    public const string ProjectsUri = "hourdini://projects";

    private HttpContext Http => accessor.HttpContext!;

    [McpServerResource(UriTemplate = OpenSessionsUri, Name = "open_sessions", Title = "Your open sessions", MimeType = "application/json")]
    [Description("The sessions you have open now, newest first, each with its project's name, current beat and totals (an agent sees only its own). JSON: {sessions}.")]
    public async Task<TextResourceContents> OpenSessions()
    {
        var answer = await Sessions.ListAsync(
            "open", null, null, 200, Http, Http.RequestServices.GetRequiredService<TrackingQueries>(), Http.RequestServices.GetRequiredService<TimeProvider>());
        return await Json(OpenSessionsUri, answer, body => body.Remove("next_cursor"), HourdiniTools.WithoutBeats("sessions"));
    }

    [McpServerResource(UriTemplate = ProjectsUri, Name = "projects", Title = "Projects", MimeType = "application/json")]
    [Description("The org's projects that take work, by name, with their ids (a person also sees rates). JSON: {projects}.")]
    public async Task<TextResourceContents> Projects() =>
        await Json(ProjectsUri, await Catalog.ListProjectsAsync(null, false, Http, Http.RequestServices.GetRequiredService<CatalogStore>()));

    private async Task<TextResourceContents> Json(string uri, Http.Answer answer, params Action<System.Text.Json.Nodes.JsonObject>[] shapes)
    {
        var body = await McpResults.BodyAsync(answer, Http, shapes);
        return new TextResourceContents { Uri = uri, MimeType = "application/json", Text = JsonSerializer.Serialize(body, McpEndpoint.ReadableJson) };
    }
}
