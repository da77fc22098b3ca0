using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hourdini.Testing;
using ModelContextProtocol.Client;

namespace Hourdini.Mcp.Tests;

/// <summary>/mcp over real HTTP, driven by the MCP package's own client (PRODUCT.md "Interfaces": MCP server).</summary>
public class McpHttpTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task Initialize_and_tools_list_show_every_tool_with_an_input_schema()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());

        Assert.Equal("hourdini", mcp.ServerInfo?.Name);
        Assert.Contains("session_beat", mcp.ServerInstructions);
        var tools = await mcp.ListToolsAsync();
        Assert.Equal(McpSupport.ToolNames.Order(), tools.Select(t => t.Name).Order());
        foreach (var tool in tools)
        {
            Assert.Equal("object", tool.JsonSchema.GetProperty("type").GetString());
            Assert.False(string.IsNullOrWhiteSpace(tool.Description));
        }

        var beat = tools.Single(t => t.Name == "session_beat").JsonSchema;
        Assert.Equal(["session_id", "kind"], beat.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(["session_id", "kind", "previous"], beat.GetProperty("properties").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task An_agent_run_through_tools_matches_what_the_HTTP_API_reports() // R2, R6, R12–R14
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (agentId, agent) = await human.CreateAgentAsync("claude-code");
        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, agent.Token());
        await AgentRun.RunAndCompareAsync(mcp, human, agentId);
    }

    [Fact]
    public async Task A_person_runs_the_timer_and_backfills_time_through_tools() // R3, R17, R18, R19
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Initech", rate: 90m), "Quarterly report");
        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());

        var projects = await mcp.CallOkAsync("list_projects", new { query = "quarter" });
        Assert.Equal(project, Assert.Single(projects.GetProperty("projects").EnumerateArray()).Str("id"));

        var timer = (await mcp.CallOkAsync("timer_start", new { project = "Quarterly", description = "Draft", tags = new[] { "writing" } })).GetProperty("timer");
        Assert.Equal(project, timer.Str("project_id"));
        McpSupport.SameJson(
            (await human.GetAsync("/api/v1/timer")).Expect(HttpStatusCode.OK)["timer"].GetProperty("id"),
            (await mcp.CallOkAsync("timer_get")).GetProperty("timer").GetProperty("id"));
        await mcp.CallRefusedAsync("timer_start", new { project }, "timer_running");
        var stopped = (await mcp.CallOkAsync("timer_stop")).GetProperty("entry");
        Assert.Equal(("timer", timer.Str("id")), (stopped.Str("source"), stopped.Str("id")));
        Assert.Equal(JsonValueKind.Null, (await mcp.CallOkAsync("timer_get")).GetProperty("timer").ValueKind);

        var backfilled = (await mcp.CallOkAsync("log_time", new
        {
            project = project,
            started_at = "2026-11-02T09:00:00Z",
            duration_seconds = 5400,
            description = "Client call",
        })).GetProperty("time_entry");
        Assert.Equal(("manual", 5400L, 90m), (backfilled.Str("source"), backfilled.Long("duration_seconds"), backfilled.GetProperty("rate").GetDecimal()));
        McpSupport.SameJson(
            McpSupport.Named((await human.GetAsync($"/api/v1/time-entries/{backfilled.Str("id")}")).Expect(HttpStatusCode.OK)["time_entry"], "Quarterly report"),
            backfilled);

        var listed = await mcp.CallOkAsync("list_entries", new { from = "2026-11-01T00:00:00Z", to = "2026-11-03T00:00:00Z" });
        Assert.Equal(backfilled.Str("id"), Assert.Single(listed.GetProperty("time_entries").EnumerateArray()).Str("id"));
    }

    [Fact]
    public async Task Rule_refusals_come_back_as_tool_errors_with_the_API_code()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await human.CreateClientAsync();
        var project = await human.CreateProjectAsync(client, "Alpha site");
        await human.CreateProjectAsync(client, "Alpha app");
        var (_, agent) = await human.CreateAgentAsync();
        await using var person = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());
        await using var bot = await McpSupport.ConnectHttpAsync(server.BaseAddress, agent.Token());

        await person.CallRefusedAsync("session_start", new { project = "alpha" }, "project_ambiguous");
        await person.CallRefusedAsync("pull_updates", null, "agent_token_required");
        await bot.CallRefusedAsync("timer_start", new { project }, "agent_not_allowed");
        await bot.CallRefusedAsync("log_time", new { project, started_at = "2026-11-02T09:00:00Z", duration_seconds = 60 }, "agent_not_allowed");

        var session = (await bot.CallOkAsync("session_start", new { project })).GetProperty("session").Str("id");
        await bot.CallRefusedAsync("session_start", new { project }, "agent_session_open"); // R8
        McpSupport.SameJson(
            (await bot.CallOkAsync("session_get", new { session_id = session })).GetProperty("session").GetProperty("id"),
            (await bot.CallOkAsync("session_get")).GetProperty("session").GetProperty("id"));
        await bot.CallOkAsync("session_end", new { session_id = session });
        await bot.CallRefusedAsync("session_beat", new { session_id = session, kind = "agent" }, "session_stopped"); // R7
        await bot.CallRefusedAsync("session_log", new { session_id = session, message = "late" }, "session_stopped");
        await bot.CallRefusedAsync("session_get", null, "not_found");
    }

    [Fact]
    public async Task An_agent_calls_only_the_tools_its_work_needs_and_never_beats_active() // R21, R22
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Initech", rate: 90m), "Night shift", billAgentTime: true);
        (await human.PostAsync("/api/v1/time-entries", new { project_id = project, started_at = "2026-11-02T09:00:00Z", duration_seconds = 600 }))
            .Expect(HttpStatusCode.Created);
        var timer = (await human.SendAsync(HttpMethod.Put, "/api/v1/timer", new { project_id = project })).Expect(HttpStatusCode.Created)["timer"].Str("id");
        var (_, agent) = await human.CreateAgentAsync();
        await using var bot = await McpSupport.ConnectHttpAsync(server.BaseAddress, agent.Token());
        var session = (await bot.CallOkAsync("session_start", new { project })).GetProperty("session");
        Assert.False(session.TryGetProperty("rate", out _));

        await bot.CallRefusedAsync("session_beat", new { session_id = session.Str("id"), kind = "active" }, "agent_not_allowed");
        await bot.CallRefusedAsync("session_beat", new { session_id = session.Str("id"), kind = "active", previous = "agent" }, "agent_not_allowed");
        await bot.CallRefusedAsync("timer_get", null, "agent_not_allowed");
        await bot.CallRefusedAsync("timer_stop", null, "agent_not_allowed");
        await bot.CallRefusedAsync("timer_start", new { project, replace = true }, "agent_not_allowed");
        await bot.CallRefusedAsync("log_time", new { project, started_at = "2026-11-02T09:00:00Z", duration_seconds = 60 }, "agent_not_allowed");

        // The person's timer still runs and holds the focus; the session is still the agent's run.
        Assert.Equal(timer, (await human.GetAsync("/api/v1/me/focus"))["focus"].Str("id"));
        Assert.Equal("agent", (await human.GetSessionAsync(session.Str("id"))).CurrentBeat());

        // What it may read, it reads narrowed: projects without rates, none of its person's entries.
        var listed = Assert.Single((await bot.CallOkAsync("list_projects")).GetProperty("projects").EnumerateArray());
        Assert.Equal(["id", "name", "client_name", "bill_agent_time"], listed.EnumerateObject().Select(p => p.Name));
        Assert.Empty((await bot.CallOkAsync("list_entries")).GetProperty("time_entries").EnumerateArray());
        Assert.Single((await human.GetAsync("/api/v1/time-entries"))["time_entries"].EnumerateArray());
    }

    [Fact]
    public async Task Without_a_valid_bearer_token_mcp_answers_401_before_any_MCP_work()
    {
        var (_, browser, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";

        foreach (var (http, token) in new (HttpClient, string?)[]
        {
            (new HttpClient(), null),
            (new HttpClient(), "hd_pat_live_forged0000000000000000000000"),
            (new HttpClient(), "hd_agt_live_forged0000000000000000000000"),
            (browser.Http, null), // a signed-in browser's cookie is not accepted on /mcp
        })
        {
            var response = await PostAsync(http, initialize, token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
            Assert.Equal("unauthorized", response.Body.Str("code"));
            Assert.Equal("Bearer", response.Challenge);
        }

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => McpSupport.ConnectHttpAsync(server.BaseAddress, "hd_pat_live_forged0000000000000000000000"));

        // A disabled agent's token is known but refused, on /mcp as on the API.
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (agentId, agent) = await human.CreateAgentAsync();
        (await human.SendAsync(HttpMethod.Patch, $"/api/v1/agents/{agentId}", new { status = "disabled" })).Expect(HttpStatusCode.OK);
        var disabled = await PostAsync(new HttpClient(), initialize, agent.Token());
        Assert.Equal((HttpStatusCode.Forbidden, "agent_disabled"), (disabled.Status, disabled.Body.Str("code")));
    }

    [Fact]
    public async Task Another_orgs_sessions_are_unknown_to_tools_and_stay_unchanged() // tenancy
    {
        var (alice, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await alice.CreateProjectAsync(await alice.CreateClientAsync(), "Secret project");
        var session = (await alice.StartSessionAsync(project, "private")).Str("id");
        var before = await alice.GetSessionAsync(session);

        var (mallory, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (_, malloryAgent) = await mallory.CreateAgentAsync();
        foreach (var token in new[] { mallory.Token(), malloryAgent.Token() })
        {
            await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, token);
            await mcp.CallRefusedAsync("session_get", new { session_id = session }, "not_found");
            await mcp.CallRefusedAsync("session_beat", new { session_id = session, kind = "agent" }, "not_found");
            await mcp.CallRefusedAsync("session_log", new { session_id = session, message = "pwned" }, "not_found");
            await mcp.CallRefusedAsync("session_end", new { session_id = session }, "not_found");
            await mcp.CallRefusedAsync("session_start", new { project }, "not_found");
            await mcp.CallRefusedAsync("session_start", new { project = "Secret" }, "not_found");
            Assert.Empty((await mcp.CallOkAsync("list_projects")).GetProperty("projects").EnumerateArray());
            Assert.Empty((await mcp.CallOkAsync("list_entries", new { project_id = project })).GetProperty("time_entries").EnumerateArray());
        }

        var after = await alice.GetSessionAsync(session);
        Assert.Equal(before.GetProperty("beats").GetRawText(), after.GetProperty("beats").GetRawText());
        Assert.Equal("started", after.Str("status"));
        Assert.Single((await alice.GetAsync($"/api/v1/sessions/{session}/timeline"))["events"].EnumerateArray()); // only its start
    }

    [Fact]
    public async Task Malformed_requests_and_tool_calls_fail_cleanly_and_change_nothing()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Tidy");
        var token = human.Token();
        using var http = new HttpClient();

        // The transport (the SDK's): not JSON, not JSON-RPC, the wrong Accept, the wrong method, an unknown protocol version.
        foreach (var (body, rpcCode) in new[] { ("{\"jsonrpc\":", -32700), ("", -32700), ("[]", -32600), ("\"hello\"", -32600), ("{\"id\":1}", -32600),
            ("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", -32600), ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":5}", -32600) })
        {
            var bad = await PostAsync(http, body, token);
            Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
            Assert.Equal(rpcCode, bad.Body.GetProperty("error").GetProperty("code").GetInt32()); // parse error, invalid request
            Assert.Equal("malformed_request", bad.Body.GetProperty("error").GetProperty("data").Str("code")); // the API's code, as in every refusal
        }

        var list = """{"jsonrpc":"2.0","id":7,"method":"tools/list"}""";
        var unacceptable = await PostAsync(http, list, token, accept: "application/json");
        Assert.Equal(HttpStatusCode.NotAcceptable, unacceptable.Status);
        Assert.Equal("not_acceptable", unacceptable.Body.GetProperty("error").GetProperty("data").Str("code"));

        // Params the SDK would answer -32603 "An error occurred" are invalid params, with the argument named.
        foreach (var (call, field) in new[]
                 {
                     ("""{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"arguments":{}}}""", "name"),
                     ("""{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"session_get","arguments":[1]}}""", "arguments"),
                     ("""{"jsonrpc":"2.0","id":9,"method":"prompts/get","params":{"name":"track_agent_run","arguments":{}}}""", "project"),
                     ("""{"jsonrpc":"2.0","id":9,"method":"prompts/get","params":{"name":"track_agent_run","arguments":{"project":" "}}}""", "project"),
                 })
        {
            var invalid = await PostAsync(http, call, token);
            Assert.Equal(HttpStatusCode.OK, invalid.Status);
            var error = invalid.Body.GetProperty("error");
            Assert.Equal((-32602, "validation_failed", field), (error.GetProperty("code").GetInt32(), error.GetProperty("data").Str("code"), error.GetProperty("data").Str("field")));
            Assert.Equal(9, invalid.Body.GetProperty("id").GetInt32());
        }

        // A response or error sent to the server, with an id and no method, is no request to check: never a 5xx.
        foreach (var answer in new[] { """{"jsonrpc":"2.0","id":1,"result":{}}""", """{"jsonrpc":"2.0","id":1,"method":5,"result":{}}""",
                     """{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"no"}}""" })
        {
            Assert.True((int)(await PostAsync(http, answer, token)).Status < 500, answer);
        }
        using (var get = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseAddress, "/mcp")))
        {
            get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(get);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            Assert.Equal("POST", response.Content.Headers.Allow.Single());
        }

        // Tool calls: an unknown tool is a JSON-RPC error; wrong, missing or unknown arguments are validation_failed.
        var unknown = await PostAsync(http, """{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"drop_tables","arguments":{}}}""", token);
        Assert.Equal(HttpStatusCode.OK, unknown.Status);
        Assert.Equal(-32602, unknown.Body.GetProperty("error").GetProperty("code").GetInt32());

        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, token);
        await mcp.CallRefusedAsync("session_start", new { }, "validation_failed");
        await mcp.CallRefusedAsync("session_start", new { project = 42 }, "validation_failed");
        await mcp.CallRefusedAsync("session_start", new { project, environment = "not an object" }, "validation_failed");
        await mcp.CallRefusedAsync("session_start", new { project, previous = "sideways" }, "validation_failed");
        await mcp.CallRefusedAsync("session_start", new { project, description = new string('x', 2001) }, "validation_failed");
        await mcp.CallRefusedAsync("session_start", new { project, sneaky = "'; DROP TABLE sessions; --" }, "validation_failed");
        await mcp.CallRefusedAsync("session_beat", new { session_id = "not-a-session", kind = "agent" }, "not_found"); // as the API: a malformed id names nothing
        await mcp.CallRefusedAsync("session_beat", new { session_id = Guid.NewGuid(), kind = "sleeping" }, "validation_failed");
        await mcp.CallRefusedAsync("log_time", new { project, started_at = "yesterday", duration_seconds = 60 }, "validation_failed");
        await mcp.CallRefusedAsync("log_time", new { project, started_at = "2026-11-02T09:00:00Z", duration_seconds = -5 }, "validation_failed");
        await mcp.CallRefusedAsync("list_entries", new { limit = "ten" }, "validation_failed");
        await mcp.CallRefusedAsync("list_entries", new { limit = 99_999_999_999L }, "validation_failed");
        await mcp.CallRefusedAsync("timer_start", new { project, tags = new[] { 1, 2 } }, "validation_failed");

        // Nothing was created by any of it.
        Assert.Empty((await human.GetAsync("/api/v1/sessions"))["sessions"].EnumerateArray());
        Assert.Empty((await human.GetAsync("/api/v1/time-entries"))["time_entries"].EnumerateArray());
        Assert.Equal(JsonValueKind.Null, (await human.GetAsync("/api/v1/timer"))["timer"].ValueKind);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body, string? Challenge)> PostAsync(
        HttpClient http, string body, string? token, string accept = "application/json, text/event-stream")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseAddress, "/mcp"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Accept", accept);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        // A JSON-RPC answer arrives as one server-sent event; a refusal as plain JSON.
        var json = text.StartsWith("event:", StringComparison.Ordinal)
            ? text.Split('\n').First(line => line.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]
            : text;
        return (response.StatusCode, json.Length == 0 ? default : JsonDocument.Parse(json).RootElement.Clone(), response.Headers.WwwAuthenticate.FirstOrDefault()?.Scheme);
    }
}
