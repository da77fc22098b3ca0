using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hourdini.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Hourdini.Mcp.Tests;

/// <summary>Issue 27, MCP: the SDK's hosting, schemas a model cannot misread, tools that say what they do, and the missing tools, resources and prompt.</summary>
public class McpSurfaceTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    // ---- 1. Hosted by ModelContextProtocol.AspNetCore (MapMcp), stateless, behind the gateway's protections ----

    [Fact]
    public async Task The_SDK_serves_mcp_statelessly_and_checks_the_protocol_version_header()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        var initialize = await PostAsync(http, human.Token(),
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""");
        Assert.Equal(HttpStatusCode.OK, initialize.StatusCode);
        Assert.False(initialize.Headers.Contains("Mcp-Session-Id")); // stateless: any node answers the next call

        // The SDK's transport refuses a protocol version it does not speak (our own wiring never looked at the header).
        var wrongVersion = await PostAsync(http, human.Token(), """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""", protocolVersion: "1999-01-01");
        Assert.Equal(HttpStatusCode.BadRequest, wrongVersion.StatusCode);

        // The gateway's body limit still applies before the SDK reads anything.
        var huge = await PostAsync(http, human.Token(), "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":{\"x\":\"" + new string('x', 1_100_000) + "\"}}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
    }

    // ---- 2. Schemas an LLM cannot misread ----

    [Fact]
    public async Task Input_schemas_are_closed_single_typed_and_state_the_enums_formats_and_bounds_the_server_enforces()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());
        var tools = (await mcp.ListToolsAsync()).ToDictionary(t => t.Name, t => t.JsonSchema);

        foreach (var (name, schema) in tools)
        {
            Assert.False(schema.GetProperty("additionalProperties").GetBoolean(), $"{name} accepts unknown arguments");
            Assert.DoesNotContain("\"null\"", schema.GetRawText()); // no ["string","null"] type arrays, no null enums
            foreach (var argument in schema.GetProperty("properties").EnumerateObject())
            {
                Assert.Equal(JsonValueKind.String, argument.Value.GetProperty("type").ValueKind);
                Assert.False(string.IsNullOrWhiteSpace(argument.Value.GetProperty("description").GetString()), $"{name}.{argument.Name} has no description");
            }
        }

        string[] Enum(string tool, string argument) =>
            tools[tool].GetProperty("properties").GetProperty(argument).GetProperty("enum").EnumerateArray().Select(v => v.GetString()!).ToArray();
        JsonElement Arg(string tool, string argument) => tools[tool].GetProperty("properties").GetProperty(argument);

        Assert.Equal(["agent", "idle", "active"], Enum("session_beat", "kind"));
        Assert.Equal(["idle", "agent"], Enum("session_beat", "previous"));
        Assert.Equal(["idle", "agent"], Enum("session_start", "previous"));
        Assert.Equal(["timer", "session", "manual", "import"], Enum("list_entries", "source"));
        Assert.Equal(["open", "in_progress", "done"], Enum("task_update", "status"));
        foreach (var (tool, argument) in new[] { ("log_time", "started_at"), ("log_time", "ended_at"), ("list_entries", "from"), ("list_entries", "to") })
        {
            Assert.Equal("date-time", Arg(tool, argument).GetProperty("format").GetString());
        }

        Assert.Equal((1, 200), (Arg("list_entries", "limit").GetProperty("minimum").GetInt32(), Arg("list_entries", "limit").GetProperty("maximum").GetInt32()));
        Assert.Equal((1, 604_800), (Arg("log_time", "duration_seconds").GetProperty("minimum").GetInt32(), Arg("log_time", "duration_seconds").GetProperty("maximum").GetInt32()));
        Assert.Equal(2000, Arg("session_start", "description").GetProperty("maxLength").GetInt32());
        Assert.Equal(10_000, Arg("session_log", "message").GetProperty("maxLength").GetInt32());
        var environment = Arg("session_start", "environment"); // R12
        Assert.Equal("object", environment.GetProperty("type").GetString());
        Assert.Equal("string", environment.GetProperty("properties").GetProperty("client").GetProperty("type").GetString());
    }

    [Fact]
    public async Task What_a_schema_promises_is_enforced_with_messages_that_name_the_tools_argument_without_escaped_quotes()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Schema checks");
        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());

        Assert.Equal("kind must be one of \"agent\", \"idle\", \"active\".",
            (await mcp.CallRefusedAsync("session_beat", new { session_id = Guid.NewGuid(), kind = "sleeping" }, "validation_failed")).Str("detail"));
        Assert.Contains("limit must be between 1 and 200",
            (await mcp.CallRefusedAsync("list_sessions", new { limit = 0 }, "validation_failed")).Str("detail"));
        Assert.Contains("started_at must be an RFC 3339 timestamp",
            (await mcp.CallRefusedAsync("log_time", new { project, started_at = "yesterday", duration_seconds = 60 }, "validation_failed")).Str("detail"));
        Assert.Contains("duration_seconds must be between 1 and 604800",
            (await mcp.CallRefusedAsync("log_time", new { project, started_at = "2026-11-02T09:00:00Z", duration_seconds = 604_801 }, "validation_failed")).Str("detail"));
        Assert.Equal("message must be at most 10000 characters.",
            (await mcp.CallRefusedAsync("session_log", new { session_id = Guid.NewGuid(), message = new string('m', 10_001) }, "validation_failed")).Str("detail"));

        // Past the schema, the API's own checks: the problem names the argument in `field`, as the HTTP API's does (R24).
        var tooLate = await mcp.CallRefusedAsync("log_time", new { project, started_at = "9999-12-31T23:00:00Z", duration_seconds = 60 }, "validation_failed");
        Assert.Equal("started_at", tooLate.Str("field"));

        // The API's field is project_name; the tool's argument is project, and that is what the message names.
        Assert.Equal("project is required.", (await mcp.CallRefusedAsync("session_start", new { project = "   " }, "validation_failed")).Str("detail"));

        // A model reads the text content: quotes inside it are \" (JSON), never \u0022.
        var refused = await mcp.CallAsync("session_start", new { project = "No such project" });
        var text = Assert.IsType<TextContentBlock>(Assert.Single(refused.Content)).Text;
        Assert.Contains("\\\"No such project\\\"", text);
        Assert.DoesNotContain("\\u0022", text);

        // A null optional argument is "not given", as the single-typed schema implies.
        Assert.NotEmpty((await mcp.CallOkAsync("list_projects", new { query = (string?)null })).GetProperty("projects").EnumerateArray());
    }

    // ---- 3. Tools that say what they do: descriptions, annotations, output schemas, names ----

    [Fact]
    public async Task Every_tool_is_annotated_declares_its_output_and_session_start_says_what_it_does() // R2, R3
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());
        var tools = (await mcp.ListToolsAsync()).ToDictionary(t => t.Name, t => t.ProtocolTool);

        foreach (var (name, tool) in tools)
        {
            var hints = tool.Annotations;
            Assert.NotNull(hints);
            Assert.NotNull(hints.ReadOnlyHint);
            Assert.NotNull(hints.DestructiveHint);
            Assert.NotNull(hints.IdempotentHint);
            Assert.False(hints.OpenWorldHint ?? true, $"{name} should say openWorldHint: false");
            Assert.Equal("object", tool.OutputSchema?.GetProperty("type").GetString());
            Assert.Equal(name is "session_end", hints.DestructiveHint); // ending a session cannot be undone (R7)
        }

        Assert.True(tools["list_sessions"].Annotations!.ReadOnlyHint);
        Assert.False(tools["session_log"].Annotations!.ReadOnlyHint);
        var start = tools["session_start"].Description!;
        Assert.DoesNotContain("starts idle", start);
        Assert.Contains("starts in agent time", start); // R2
        Assert.Contains("starts active", start); // R3
        Assert.Contains("stopped_timer_entry", start);
    }

    /// <summary>
    /// Found by driving the server with the TypeScript SDK 1.32 and MCP Inspector 2.12: both check a result's
    /// structuredContent against the tool's outputSchema even when isError is set, so a refusal that carried its problem
    /// there came back to the agent as a JSON-RPC error ("Structured content does not match the tool's output schema")
    /// and its code was lost.
    /// </summary>
    [Fact]
    public async Task A_refusal_is_a_tool_error_whose_text_carries_the_code_and_whose_structured_content_is_left_out()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (_, agent) = await human.CreateAgentAsync();
        await using var bot = await McpSupport.ConnectHttpAsync(server.BaseAddress, agent.Token());

        foreach (var (tool, arguments, code) in new (string, object, string)[]
        {
            ("session_get", new { session_id = Guid.NewGuid() }, "not_found"),
            ("timer_start", new { project = "anything" }, "agent_not_allowed"), // R21
            ("list_projects", new { limit = 0 }, "validation_failed"),
        })
        {
            var refused = await bot.CallAsync(tool, arguments);
            Assert.True(refused.IsError);
            Assert.Null(refused.StructuredContent);
            var problem = JsonDocument.Parse(Assert.IsType<TextContentBlock>(Assert.Single(refused.Content)).Text).RootElement;
            Assert.Equal(code, problem.Str("code"));
            Assert.False(string.IsNullOrWhiteSpace(problem.Str("detail")));
        }
    }

    [Fact]
    public async Task Session_get_without_a_current_session_says_how_to_get_one() // R3, R8
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (_, agent) = await human.CreateAgentAsync();
        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());
        await using var bot = await McpSupport.ConnectHttpAsync(server.BaseAddress, agent.Token());

        Assert.Equal(
            "You have no focused session now. Start one with session_start, or pass session_id (list_sessions shows your sessions).",
            (await mcp.CallRefusedAsync("session_get", null, "not_found")).Str("detail"));
        Assert.StartsWith("You have no open session now. Start one with session_start", (await bot.CallRefusedAsync("session_get", null, "not_found")).Str("detail"));
    }

    /// <summary>MCP Inspector --strict warned that <c>budget</c> in session_start's and pull_updates' outputSchema constrained nothing.</summary>
    [Fact]
    public async Task Every_node_of_every_output_schema_says_what_it_holds_and_an_agents_budget_fits_it() // R32
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());
        foreach (var tool in await mcp.ListToolsAsync())
        {
            foreach (var (path, node) in Nodes(tool.ProtocolTool.OutputSchema!.Value, tool.Name))
            {
                Assert.True(
                    node.TryGetProperty("type", out _) || node.TryGetProperty("anyOf", out _) || node.TryGetProperty("enum", out _),
                    $"{path} accepts any value: {node.GetRawText()}");
            }
        }

        // The budget an agent gets with its session and its pull is the typed object (or null) the schema describes.
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Budgeted", billAgentTime: true);
        (await human.SendAsync(HttpMethod.Put, $"/api/v1/projects/{project}/budget", new { kind = "hours", limit = 10 })).Expect(HttpStatusCode.OK);
        var (_, agent) = await human.CreateAgentAsync();
        await using var bot = await McpSupport.ConnectHttpAsync(server.BaseAddress, agent.Token());
        var budget = (await bot.CallOkAsync("session_start", new { project })).GetProperty("budget");
        Assert.Equal(("hours", "ok"), (budget.Str("kind"), budget.Str("status")));
        Assert.Equal("hours", (await bot.CallOkAsync("pull_updates")).GetProperty("budget").Str("kind")); // its open session's project

        // In money, the agent's budget has no amounts (R22): limit and used are null, which the schema allows.
        (await human.SendAsync(HttpMethod.Put, $"/api/v1/projects/{project}/budget", new { kind = "money", limit = 500 })).Expect(HttpStatusCode.OK);
        var money = (await bot.CallOkAsync("pull_updates")).GetProperty("budget");
        Assert.Equal(("money", JsonValueKind.Null, JsonValueKind.Null), (money.Str("kind"), money.GetProperty("limit").ValueKind, money.GetProperty("used").ValueKind));

        static IEnumerable<(string Path, JsonElement Node)> Nodes(JsonElement schema, string path)
        {
            yield return (path, schema);
            var children = new List<(string, JsonElement)>();
            if (schema.TryGetProperty("properties", out var properties))
            {
                children.AddRange(properties.EnumerateObject().Select(p => ($"{path}.{p.Name}", p.Value)));
            }

            if (schema.TryGetProperty("items", out var items))
            {
                children.Add(($"{path}[]", items));
            }

            if (schema.TryGetProperty("anyOf", out var anyOf))
            {
                children.AddRange(anyOf.EnumerateArray().Select((s, i) => ($"{path}|{i}", s)));
            }

            foreach (var (childPath, child) in children)
            {
                foreach (var node in Nodes(child, childPath))
                {
                    yield return node;
                }
            }
        }
    }

    [Fact]
    public async Task A_persons_session_starts_active_stops_the_running_timer_and_results_name_the_project() // R3
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Named things");
        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());

        var timer = (await mcp.CallOkAsync("timer_start", new { project })).GetProperty("timer");
        Assert.Equal("Named things", timer.Str("project_name"));
        var started = await mcp.CallOkAsync("session_start", new { project, description = "Pairing" });
        Assert.Equal("active", started.GetProperty("session").CurrentBeat());
        Assert.Equal("Named things", started.GetProperty("session").Str("project_name"));
        var stopped = started.GetProperty("stopped_timer_entry");
        Assert.Equal((timer.Str("id"), "timer", "Named things"), (stopped.Str("id"), stopped.Str("source"), stopped.Str("project_name")));

        // A beat answers the session's state now, not its whole growing list of beats.
        var session = started.GetProperty("session").Str("id");
        var beat = (await mcp.CallOkAsync("session_beat", new { session_id = session, kind = "idle" })).GetProperty("session");
        Assert.Equal("idle", beat.CurrentBeat());
        Assert.False(beat.TryGetProperty("beats", out _));
        Assert.Equal(2, (await mcp.CallOkAsync("session_get", new { session_id = session })).GetProperty("session").GetProperty("beats").GetArrayLength());
    }

    // ---- 4. Missing tools and features ----

    [Fact]
    public async Task An_agent_marks_its_task_done_lists_its_sessions_and_reads_its_timeline_through_tools() // R12, R13, R21
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(), "Task board", billAgentTime: true);
        var (agentId, agent) = await human.CreateAgentAsync();
        var task = (await human.PostAsync($"/api/v1/projects/{project}/tasks", new { title = "Write the changelog", assignee_agent_id = agentId }))
            .Expect(HttpStatusCode.Created)["task"].Str("id");
        await using var bot = await McpSupport.ConnectHttpAsync(server.BaseAddress, agent.Token());

        var session = (await bot.CallOkAsync("session_start", new { project })).GetProperty("session").Str("id");
        Assert.Equal("in_progress", (await bot.CallOkAsync("task_update", new { task_id = task, status = "in_progress" })).GetProperty("task").Str("status"));
        await bot.CallOkAsync("session_log", new { session_id = session, message = "Drafted it", task_id = task });
        var done = (await bot.CallOkAsync("task_update", new { task_id = task, status = "done" })).GetProperty("task");
        Assert.Equal(("done", "Task board"), (done.Str("status"), done.Str("project_name")));
        Assert.Equal("done", (await human.GetAsync($"/api/v1/projects/{project}/tasks"))["tasks"][0].Str("status"));

        // An agent moves only the status of its own tasks (R21).
        await bot.CallRefusedAsync("task_update", new { task_id = task, title = "Renamed" }, "agent_not_allowed");
        await bot.CallRefusedAsync("task_update", new { task_id = Guid.NewGuid(), status = "done" }, "not_found");
        await bot.CallRefusedAsync("task_update", new { task_id = task, status = "finished" }, "validation_failed");

        var listed = Assert.Single((await bot.CallOkAsync("list_sessions", new { status = "open" })).GetProperty("sessions").EnumerateArray());
        Assert.Equal((session, "Task board"), (listed.Str("id"), listed.Str("project_name")));
        Assert.False(listed.TryGetProperty("beats", out _));
        var timeline = await bot.CallOkAsync("session_timeline", new { session_id = session });
        var log = Assert.Single(timeline.GetProperty("events").EnumerateArray(), e => e.Str("type") == "log");
        Assert.Equal(task, log.GetProperty("data").Str("task_id"));
        Assert.Equal(JsonValueKind.Null, timeline.GetProperty("next_after").ValueKind);
        var page = await bot.CallOkAsync("session_timeline", new { session_id = session, limit = 1 });
        Assert.Equal(1, page.GetProperty("events").GetArrayLength());
        Assert.Equal(page.GetProperty("events")[0].GetProperty("seq").GetInt32(), page.GetProperty("next_after").GetInt32());
    }

    [Fact]
    public async Task List_projects_pages_with_a_cursor()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await human.CreateClientAsync();
        foreach (var name in new[] { "Alpha", "Bravo", "Charlie" })
        {
            await human.CreateProjectAsync(client, name);
        }

        await using var mcp = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());
        var first = await mcp.CallOkAsync("list_projects", new { limit = 2 });
        Assert.Equal(["Alpha", "Bravo"], first.GetProperty("projects").EnumerateArray().Select(p => p.Str("name")));
        var second = await mcp.CallOkAsync("list_projects", new { limit = 2, cursor = first.Str("next_cursor") });
        Assert.Equal(["Charlie"], second.GetProperty("projects").EnumerateArray().Select(p => p.Str("name")));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next_cursor").ValueKind);
        await mcp.CallRefusedAsync("list_projects", new { cursor = "not-a-cursor" }, "validation_failed");
    }

    [Fact]
    public async Task Resources_show_the_callers_open_sessions_and_projects() // R22
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var project = await human.CreateProjectAsync(await human.CreateClientAsync(rate: 80m), "Resourceful");
        var (_, agent) = await human.CreateAgentAsync();
        await human.StartSessionAsync(project, "the person's own");
        await using var bot = await McpSupport.ConnectHttpAsync(server.BaseAddress, agent.Token());
        var session = (await bot.CallOkAsync("session_start", new { project })).GetProperty("session").Str("id");

        var resources = await bot.ListResourcesAsync();
        Assert.Equal(["hourdini://projects", "hourdini://sessions/open"], resources.Select(r => r.Uri).Order());

        var open = await Read(bot, "hourdini://sessions/open");
        var only = Assert.Single(open.GetProperty("sessions").EnumerateArray()); // the agent's own, not its person's
        Assert.Equal((session, "Resourceful"), (only.Str("id"), only.Str("project_name")));
        Assert.False(only.TryGetProperty("rate", out _));

        var projects = await Read(bot, "hourdini://projects");
        Assert.Equal(["id", "name", "client_name", "bill_agent_time"], Assert.Single(projects.GetProperty("projects").EnumerateArray()).EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task The_track_agent_run_prompt_starts_a_tracked_run_and_its_project_argument_completes_from_project_names()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var client = await human.CreateClientAsync();
        await human.CreateProjectAsync(client, "Website relaunch");
        await human.CreateProjectAsync(client, "Web shop");
        await human.CreateProjectAsync(client, "Accounting");
        var (_, agent) = await human.CreateAgentAsync();
        await using var bot = await McpSupport.ConnectHttpAsync(server.BaseAddress, agent.Token());

        var prompt = Assert.Single(await bot.ListPromptsAsync());
        Assert.Equal("track_agent_run", prompt.Name);
        Assert.Equal(["project", "goal"], prompt.ProtocolPrompt.Arguments!.Select(a => a.Name));
        Assert.True(prompt.ProtocolPrompt.Arguments![0].Required);

        var completed = await bot.CompleteAsync(new PromptReference { Name = "track_agent_run" }, "project", "web");
        Assert.Equal(["Web shop", "Website relaunch"], completed.Completion.Values.Order());

        var messages = (await bot.GetPromptAsync("track_agent_run", new Dictionary<string, object?> { ["project"] = "Web shop", ["goal"] = "fix the cart" })).Messages;
        var text = Assert.IsType<TextContentBlock>(Assert.Single(messages).Content).Text;
        foreach (var step in new[] { "session_start", "session_log", "task_update", "session_beat", "session_end", "fix the cart", "\"Web shop\"" })
        {
            Assert.Contains(step, text);
        }

        // A quote in the project cannot end its string early: the project goes in as a JSON string.
        var quoted = (await bot.GetPromptAsync("track_agent_run", new Dictionary<string, object?> { ["project"] = "Bob's \"big\" shop" })).Messages;
        Assert.Contains("project=\"Bob's \\\"big\\\" shop\"", Assert.IsType<TextContentBlock>(Assert.Single(quoted).Content).Text);
    }

    private static async Task<JsonElement> Read(McpClient client, string uri)
    {
        var contents = Assert.IsType<TextResourceContents>(Assert.Single((await client.ReadResourceAsync(uri)).Contents));
        Assert.Equal("application/json", contents.MimeType);
        return JsonDocument.Parse(contents.Text).RootElement.Clone();
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string token, string body, string? protocolVersion = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        // A body the server refuses unread: without 100-continue the refusal can race the upload and reset it (ImportTests).
        request.Headers.ExpectContinue = body.Length > 64 * 1024;
        if (protocolVersion is not null)
        {
            request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", protocolVersion);
        }

        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
