using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hourdini.Testing;

namespace Hourdini.Api.Tests;

/// <summary>
/// Issue 28, item 1: the OpenAPI document served by a running gateway generates a working client and tells the truth. It
/// passes Redocly's recommended rules; openapi-typescript's types from it type-check the README's requests and typed reads
/// of a session and a time entry under <c>tsc --strict</c>; and real answers have a documented status and shape.
/// </summary>
public partial class OpenApiTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    private async Task<string> ServedDocumentAsync()
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var response = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>A fresh folder holding the served document as <c>openapi.json</c> (kept in artifacts/openapi for a look).</summary>
    private async Task<string> DocumentFolderAsync()
    {
        var folder = Directory.CreateTempSubdirectory("hourdini-openapi-").FullName;
        var document = await ServedDocumentAsync();
        await File.WriteAllTextAsync(Path.Combine(folder, "openapi.json"), document);
        var artifacts = Path.Combine(NodeTools.RepositoryRoot, "artifacts", "openapi");
        Directory.CreateDirectory(artifacts);
        await File.WriteAllTextAsync(Path.Combine(artifacts, "openapi.json"), document);
        return folder;
    }

    [Fact]
    public async Task The_served_document_passes_Redocly_recommended_rules_with_no_error()
    {
        var folder = await DocumentFolderAsync();

        var (exitCode, output) = await NodeTools.RunAsync("redocly", ["lint", "--extends=recommended", "--format=stylish", Path.Combine(folder, "openapi.json")]);

        Assert.True(exitCode == 0, $"redocly lint found errors:\n{output}");
        Assert.DoesNotMatch(@"[1-9]\d* errors?", output);
    }

    [Fact]
    public async Task The_document_describes_the_API_not_the_web_app_and_says_how_to_sign_in()
    {
        var document = JsonNode.Parse(await ServedDocumentAsync())!;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();

        Assert.DoesNotContain(paths, p => p.StartsWith("/app", StringComparison.Ordinal) || p.StartsWith("/mcp", StringComparison.Ordinal));
        Assert.Contains("/api/v1/sessions/{id}/beat", paths);
        Assert.NotNull(document["components"]!["securitySchemes"]!["bearer"]);
        var operations = Operations(document).ToList();
        Assert.All(operations, o => Assert.False(string.IsNullOrEmpty((string?)o.Operation["operationId"]), $"{o.Method} {o.Path} has no operationId"));
        Assert.All(operations, o => Assert.False(string.IsNullOrEmpty((string?)o.Operation["summary"]), $"{o.Method} {o.Path} has no summary"));
        Assert.All(operations, o => Assert.NotEmpty(o.Operation["tags"]!.AsArray()));

        // API.md: mutating requests accept Idempotency-Key, and every refusal is a problem with a code.
        var start = document["paths"]!["/api/v1/sessions"]!["post"]!;
        Assert.Contains(start["parameters"]!.AsArray(), p => (string?)p!["name"] == "Idempotency-Key");
        Assert.NotNull(start["responses"]!["201"]);
        Assert.Null(start["responses"]!["200"]);
        Assert.Equal("#/components/schemas/Problem", (string?)start["responses"]!["409"]!["content"]!["application/problem+json"]!["schema"]!["$ref"]);
        Assert.NotNull(document["paths"]!["/api/v1/sessions/{id}/heartbeat"]!["post"]!["responses"]!["204"]);
    }

    [Fact]
    public async Task A_client_generated_with_openapi_typescript_type_checks_the_README_requests_and_typed_reads_under_strict_tsc()
    {
        var folder = await DocumentFolderAsync();
        var (generated, generation) = await NodeTools.RunAsync("openapi-typescript", [Path.Combine(folder, "openapi.json"), "--output", Path.Combine(folder, "api.d.ts")]);
        Assert.True(generated == 0, generation);

        await File.WriteAllTextAsync(Path.Combine(folder, "check.ts"), ClientCheck(ReadmeRequests()));
        var (checkedCode, diagnostics) = await NodeTools.RunAsync(
            "tsc", ["--strict", "--noEmit", "--target", "es2022", "--module", "esnext", "--moduleResolution", "bundler", Path.Combine(folder, "check.ts")], folder);
        Assert.True(checkedCode == 0, $"tsc --strict failed:\n{diagnostics}\n\n{File.ReadAllText(Path.Combine(folder, "check.ts"))}");
    }

    [Fact]
    public async Task Real_answers_have_a_documented_status_and_exactly_the_documented_shape()
    {
        var doc = new DocumentedAnswers(JsonNode.Parse(await ServedDocumentAsync())!);
        var get = HttpMethod.Get;
        var post = HttpMethod.Post;
        var patch = HttpMethod.Patch;
        var put = HttpMethod.Put;
        var delete = HttpMethod.Delete;

        // Accounts: a person signs up (cookie), mints a token, reads themselves and their org.
        var browser = ApiClient.Anonymous(server.BaseAddress);
        var email = $"doc-{Guid.NewGuid():N}@example.com";
        (await doc.SendAsync(browser, post, "/api/v1/auth/signup", new { email, password = "correct horse battery", name = "Doc" })).Expect(HttpStatusCode.Created);
        var secret = (await doc.SendAsync(browser, post, "/api/v1/tokens", new { name = "docs" })).Expect(HttpStatusCode.Created)["secret"].GetString()!;
        await doc.SendAsync(browser, get, "/api/v1/tokens");
        await doc.SendAsync(browser, get, "/api/v1/me/orgs");
        var api = ApiClient.WithToken(server.BaseAddress, secret);
        await doc.SendAsync(api, get, "/api/v1/me");
        await doc.SendAsync(api, get, "/api/v1/org");
        await doc.SendAsync(api, patch, "/api/v1/org", new { agent_lease_seconds = 600 });
        await doc.SendAsync(api, get, "/api/v1/org/members");
        var invitation = (await doc.SendAsync(api, post, "/api/v1/org/invitations", new { email = "someone@example.com", role = "member" }))["invitation"].Str("id");
        await doc.SendAsync(api, get, "/api/v1/org/invitations");
        await doc.SendAsync(api, delete, "/api/v1/org/invitations/{id}", null, invitation);

        // Catalog.
        var client = (await doc.SendAsync(api, post, "/api/v1/clients", new { name = "Acme", currency = "EUR", default_rate = 100 }))["client"].Str("id");
        await doc.SendAsync(api, get, "/api/v1/clients");
        await doc.SendAsync(api, get, "/api/v1/clients/{id}", null, client);
        await doc.SendAsync(api, patch, "/api/v1/clients/{id}", new { name = "Acme Ltd" }, client);
        var project = (await doc.SendAsync(api, post, "/api/v1/projects", new { client_id = client, name = "Website", bill_agent_time = true, agent_rate = 40 }))["project"].Str("id");
        await doc.SendAsync(api, get, "/api/v1/projects?q=web");
        await doc.SendAsync(api, get, "/api/v1/projects/{id}", null, project);
        await doc.SendAsync(api, patch, "/api/v1/projects/{id}", new { rate = 120 }, project);
        await doc.SendAsync(api, put, "/api/v1/projects/{id}/budget", new { kind = "hours", limit = 10 }, project);
        await doc.SendAsync(api, get, "/api/v1/projects/{id}/budget", null, project);

        // Agents and their work.
        var created = await doc.SendAsync(api, post, "/api/v1/agents", new { name = "coder" });
        var agentId = created["agent"].Str("id");
        var agent = ApiClient.WithToken(server.BaseAddress, created["secret"].GetString()!);
        await doc.SendAsync(api, get, "/api/v1/agents");
        var task = (await doc.SendAsync(api, post, "/api/v1/projects/{id}/tasks", new { title = "Tests", assignee_agent_id = agentId }, project))["task"].Str("id");
        await doc.SendAsync(api, get, "/api/v1/projects/{id}/tasks", null, project);
        await doc.SendAsync(api, post, "/api/v1/agents/{id}/messages", new { text = "Start with the tests" }, agentId);

        // The timer.
        (await doc.SendAsync(api, put, "/api/v1/timer", new { project_id = project, description = "call", tags = new[] { "ops" } })).Expect(HttpStatusCode.Created);
        await doc.SendAsync(api, get, "/api/v1/timer");
        await doc.SendAsync(api, get, "/api/v1/me/focus");
        (await doc.SendAsync(api, delete, "/api/v1/timer")).Expect(HttpStatusCode.OK);
        (await doc.SendAsync(api, delete, "/api/v1/timer")).ExpectProblem(HttpStatusCode.NotFound, "not_found");

        // A person's session, and an agent's: start (with the agent's updates), beats, a log, the timeline, the end.
        var session = (await doc.SendAsync(api, post, "/api/v1/sessions", new { project_id = project, description = "landing page" })).Expect(HttpStatusCode.Created)["session"].Str("id");
        await doc.SendAsync(api, post, "/api/v1/sessions/{id}/beat", new { kind = "agent" }, session);
        await doc.SendAsync(api, post, "/api/v1/sessions/{id}/events", new { type = "log", message = "wrote the hero", task_id = task }, session);
        await doc.SendAsync(api, get, "/api/v1/sessions/{id}/timeline", null, session);
        await doc.SendAsync(api, get, "/api/v1/sessions/{id}", null, session);
        await doc.SendAsync(api, get, "/api/v1/sessions?status=open");
        var agentSession = (await doc.SendAsync(agent, post, "/api/v1/sessions", new { project_id = project, description = "agent run", environment = new { os = "linux" } })).Expect(HttpStatusCode.Created)["session"].Str("id");
        (await doc.SendAsync(agent, post, "/api/v1/sessions/{id}/heartbeat", null, agentSession)).Expect(HttpStatusCode.NoContent);
        await doc.SendAsync(agent, get, "/api/v1/agents/{id}/updates", null, agentId);
        await doc.SendAsync(agent, patch, "/api/v1/tasks/{id}", new { status = "done" }, task);
        await doc.SendAsync(agent, get, "/api/v1/sessions/{id}", null, agentSession);
        await doc.SendAsync(agent, get, "/api/v1/projects");
        await doc.SendAsync(agent, get, "/api/v1/projects/{id}", null, project);
        await doc.SendAsync(agent, get, "/api/v1/me");
        await doc.SendAsync(agent, post, "/api/v1/sessions/{id}/end", null, agentSession);
        await doc.SendAsync(agent, get, "/api/v1/time-entries");
        (await doc.SendAsync(agent, get, "/api/v1/reports/summary?from=2026-01-01&to=2026-01-31")).ExpectProblem(HttpStatusCode.Forbidden, "agent_not_allowed");
        await doc.SendAsync(api, post, "/api/v1/sessions/{id}/end", null, session);
        (await doc.SendAsync(api, post, "/api/v1/sessions/{id}/end", null, session)).ExpectProblem(HttpStatusCode.Conflict, "session_stopped");
        await doc.SendAsync(api, patch, "/api/v1/agents/{id}", new { status = "disabled" }, agentId);

        // Time entries: a manual one, edited, its history, the list, the summary, a report; then an invoice of them.
        var threeHoursAgo = DateTimeOffset.UtcNow.AddHours(-3);
        var start = threeHoursAgo.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var entry = (await doc.SendAsync(api, post, "/api/v1/time-entries", new { project_id = project, started_at = start, duration_seconds = 3600, description = "backfill" }))
            .Expect(HttpStatusCode.Created)["time_entry"].Str("id");
        await doc.SendAsync(api, patch, "/api/v1/time-entries/{id}", new { description = "backfill, edited" }, entry);
        await doc.SendAsync(api, get, "/api/v1/time-entries/{id}", null, entry);
        await doc.SendAsync(api, get, "/api/v1/time-entries/{id}/history", null, entry);
        await doc.SendAsync(api, get, "/api/v1/time-entries?limit=10");
        await doc.SendAsync(api, get, "/api/v1/time-entries/summary");
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await doc.SendAsync(api, get, $"/api/v1/reports/summary?from={today}&to={today}&group_by=agent");
        // From the manual entry's day, which is yesterday in the first three hours after midnight (UTC).
        var from = threeHoursAgo.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var invoice = (await doc.SendAsync(api, post, "/api/v1/invoices", new { client_id = client, from, to = today, tax_percent = 20 }))
            .Expect(HttpStatusCode.Created)["invoice"].Str("id");
        await doc.SendAsync(api, post, "/api/v1/invoices/{id}/issue", null, invoice);
        await doc.SendAsync(api, get, "/api/v1/invoices");
        await doc.SendAsync(api, get, "/api/v1/invoices/{id}", null, invoice);
        (await doc.SendAsync(api, delete, "/api/v1/time-entries/{id}", null, entry)).ExpectProblem(HttpStatusCode.Conflict, "entry_invoiced");
        await doc.SendAsync(api, post, "/api/v1/invoices/{id}/void", null, invoice);
        (await doc.SendAsync(api, delete, "/api/v1/time-entries/{id}", null, entry)).Expect(HttpStatusCode.NoContent);
        await doc.SendAsync(api, delete, "/api/v1/projects/{id}/budget", null, project);

        // Refusals are problems with a code: unknown, bad input, no credentials.
        (await doc.SendAsync(api, get, "/api/v1/sessions/{id}", null, Guid.NewGuid().ToString())).ExpectProblem(HttpStatusCode.NotFound, "not_found");
        (await doc.SendAsync(api, post, "/api/v1/sessions/{id}/beat", new { kind = "busy" }, session)).ExpectProblem(HttpStatusCode.UnprocessableEntity, "validation_failed");
        (await doc.SendAsync(api, post, "/api/v1/clients", "{\"name\": ")).ExpectProblem(HttpStatusCode.BadRequest, "malformed_request");
        (await doc.SendAsync(ApiClient.Anonymous(server.BaseAddress), get, "/api/v1/me")).ExpectProblem(HttpStatusCode.Unauthorized, "unauthorized");
        (await doc.SendAsync(browser, post, "/api/v1/auth/logout")).Expect(HttpStatusCode.NoContent);
        await doc.SendAsync(ApiClient.Anonymous(server.BaseAddress), get, "/healthz");
        await doc.SendAsync(ApiClient.Anonymous(server.BaseAddress), get, "/readyz");

        Assert.True(doc.Checked.Count >= 60, $"Checked only {doc.Checked.Count} answers against the document.");
    }

    /// <summary>The JSON bodies the README's API section sends with curl, with their method and path.</summary>
    private static List<(string Method, string Path, string Body)> ReadmeRequests()
    {
        var readme = File.ReadAllText(Path.Combine(NodeTools.RepositoryRoot, "README.md"));
        var api = readme[readme.IndexOf("\n## API", StringComparison.Ordinal)..];
        api = api[..api.IndexOf("\n## ", 5, StringComparison.Ordinal)];
        var requests = new List<(string, string, string)>();
        foreach (Match m in CurlRequest().Matches(api))
        {
            var body = m.Groups["single"].Success ? m.Groups["single"].Value : m.Groups["double"].Value.Replace("\\\"", "\"");
            body = ShellVariable().Replace(body, "0190f0c4-0000-7000-8000-000000000000"); // $C and the like: an id from an earlier answer
            var method = m.Groups["method"].Success ? m.Groups["method"].Value.ToLowerInvariant() : "post";
            requests.Add((method, "/api/v1" + m.Groups["path"].Value, body));
        }

        Assert.True(requests.Count >= 5, $"The README's API section should show the first requests with curl; found {requests.Count}.");
        return requests;
    }

    /// <summary>TypeScript that compiles only if the generated types accept every README body and read a session and an entry as typed.</summary>
    private static string ClientCheck(List<(string Method, string Path, string Body)> requests)
    {
        var ts = new StringBuilder("""
            import type { components, paths } from "./api";

            type Body<P extends keyof paths, M extends keyof paths[P]> =
              paths[P][M] extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
            type Answer<P extends keyof paths, M extends keyof paths[P], S extends number> =
              paths[P][M] extends { responses: { [K in S]: { content: { "application/json": infer A } } } } ? A : never;
            type Session = components["schemas"]["Session"];
            type TimeEntry = components["schemas"]["TimeEntry"];

            """);
        var i = 0;
        foreach (var (method, path, body) in requests)
        {
            ts.AppendLine($"export const readme{i++}: Body<\"{path}\", \"{method}\"> = {body};");
        }

        ts.AppendLine("""

            // A session read, as an agent's client or the CLI reads one.
            declare const read: Answer<"/api/v1/sessions/{id}", "get", 200>;
            const session: Session = read.session;
            const beat: "active" | "agent" | "idle" | undefined = session.current_beat?.kind;
            const status: "started" | "logging" | "stopped" = session.status;
            const billable: number = session.totals.billable_seconds;
            const stoppedAt: string | null = session.stopped_at;
            const lastBeatEnd: string | null | undefined = session.beats[0]?.ended_at;

            // Starting answers 201 with the session; ending answers the entry it wrote, or null.
            declare const started: Answer<"/api/v1/sessions", "post", 201>;
            const startedId: string = started.session.id;
            declare const ended: Answer<"/api/v1/sessions/{id}/end", "post", 200>;
            const entry: TimeEntry | null = ended.entry;

            // A time entry read from the list: times, the split, and money as a string (absent for agent tokens).
            declare const list: Answer<"/api/v1/time-entries", "get", 200>;
            const first: TimeEntry | undefined = list.time_entries[0];
            const source: "timer" | "session" | "manual" | "import" | undefined = first?.source;
            const seconds: number | undefined = first?.duration_seconds;
            const agentSeconds: number | undefined = first?.agent_seconds;
            const amount: string | undefined = first?.amount;
            const next: string | null = list.next_cursor;

            // The two start requests and the two create requests no longer collide.
            const timer: Body<"/api/v1/timer", "put"> = { project_name: "web", description: "x", replace: true };
            const task: Body<"/api/v1/projects/{id}/tasks", "post"> = { title: "Write the tests" };
            // @ts-expect-error a task has a title, not a name
            const badTask: Body<"/api/v1/projects/{id}/tasks", "post"> = { name: "Write the tests" };
            // @ts-expect-error a beat's kind is one of three
            const badBeat: Body<"/api/v1/sessions/{id}/beat", "post"> = { kind: "busy" };
            // @ts-expect-error a session is started with a project and a description, not replaced like a timer
            const badSession: Body<"/api/v1/sessions", "post"> = { project_name: "web", replace: true };

            export const all = [session, beat, status, billable, stoppedAt, lastBeatEnd, startedId, entry, source, seconds, agentSeconds, amount, next, timer, task, badTask, badBeat, badSession];
            """);
        return ts.ToString();
    }

    private static IEnumerable<(string Path, string Method, JsonNode Operation)> Operations(JsonNode document) =>
        document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Where(m => m.Key is "get" or "put" or "post" or "patch" or "delete")
            .Select(m => (path.Key, m.Key, m.Value!)));

    [GeneratedRegex("""curl[^\n]*?(?:-X (?<method>[A-Z]+) )?[^\n]*?-d (?:'(?<single>[^']*)'|"(?<double>(?:[^"\\]|\\.)*)") \$B(?<path>/[a-z/-]+)""")]
    private static partial Regex CurlRequest();

    [GeneratedRegex(@"\$[A-Z]+")]
    private static partial Regex ShellVariable();
}
