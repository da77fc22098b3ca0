using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hourdini.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Hourdini.Mcp.Tests;

/// <summary>The package's own MCP client, pointed at a real server over HTTP or at the real `hourdini mcp` over stdio.</summary>
public static class McpSupport
{
    public static readonly string[] ToolNames =
    [
        "session_start", "session_beat", "session_log", "session_end", "session_get", "pull_updates",
        "timer_start", "timer_stop", "timer_get", "log_time", "list_projects", "list_entries", "report_summary",
        "task_update", "list_sessions", "session_timeline",
    ];

    /// <summary>The output schema each tool declares, per connection (listed once).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<McpClient, Task<IList<McpClientTool>>> Listed = new();

    public static Task<McpClient> ConnectHttpAsync(Uri server, string token) =>
        McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(server, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            EnableStandaloneGetStream = false,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        }));

    /// <summary>Launches the built `hourdini mcp` as a child process speaking MCP on its stdin and stdout.</summary>
    public static Task<McpClient> ConnectStdioAsync(Uri server, string token) =>
        McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "hourdini",
            Command = Cli.Dotnet,
            Arguments = [Cli.Program, "mcp", "--url", server.ToString()],
            EnvironmentVariables = new Dictionary<string, string?> { ["HOURDINI_TOKEN"] = token, ["XDG_CONFIG_HOME"] = Path.GetTempPath() },
        }));

    public static string Token(this ApiClient client) => client.Http.DefaultRequestHeaders.Authorization!.Parameter!;

    public static async Task<CallToolResult> CallAsync(this McpClient client, string tool, object? arguments = null)
    {
        var args = arguments is null
            ? new Dictionary<string, object?>()
            : JsonSerializer.SerializeToElement(arguments).EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
        return await client.CallToolAsync(tool, args);
    }

    /// <summary>Calls a tool that must succeed; returns its JSON (the API's response body), which must fit the tool's outputSchema.</summary>
    public static async Task<JsonElement> CallOkAsync(this McpClient client, string tool, object? arguments = null)
    {
        var result = await client.CallAsync(tool, arguments);
        Assert.True(result.IsError is not true, $"{tool} failed: {Text(result)}");
        var body = Body(result);
        var declared = (await Listed.GetValue(client, c => c.ListToolsAsync().AsTask())).Single(t => t.Name == tool).ProtocolTool.OutputSchema;
        Assert.True(declared.HasValue, $"{tool} declares no outputSchema");
        var check = Json.Schema.JsonSchema.FromText(declared.Value.GetRawText())
            .Evaluate(body, new Json.Schema.EvaluationOptions { OutputFormat = Json.Schema.OutputFormat.List, RequireFormatValidation = true });
        Assert.True(check.IsValid, $"{tool}'s structuredContent does not fit its outputSchema: " +
            string.Join("; ", (check.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Select(d => $"{d.InstanceLocation}: {string.Join(", ", d.Errors!.Values)}")));
        return body;
    }

    /// <summary>Calls a tool that must be refused with the API's problem <paramref name="code"/>.</summary>
    public static async Task<JsonElement> CallRefusedAsync(this McpClient client, string tool, object? arguments, string code)
    {
        var result = await client.CallAsync(tool, arguments);
        Assert.True(result.IsError, $"{tool} should have been refused with {code}: {Text(result)}");

        // The problem is the text a model reads. structuredContent is only ever what the outputSchema describes: clients
        // that check it (the TypeScript SDK, MCP Inspector) turn a refusal carrying a problem there into a protocol error.
        Assert.Null(result.StructuredContent);
        var problem = JsonDocument.Parse(Text(result)).RootElement.Clone();
        Assert.Equal(code, problem.Str("code"));
        return problem;
    }

    /// <summary>The text content (what a model reads) and the structured content carry the same JSON.</summary>
    private static JsonElement Body(CallToolResult result)
    {
        var text = JsonDocument.Parse(Text(result)).RootElement.Clone();
        Assert.True(result.StructuredContent.HasValue);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(text.GetRawText()), JsonNode.Parse(result.StructuredContent.Value.GetRawText())));
        return text;
    }

    private static string Text(CallToolResult result) => Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;

    /// <summary>A person's view of a session or entry as its agent sees it: without rate and currency (R22).</summary>
    /// <summary>A person's view less what R22 keeps from agents: money, invoicing and the person's corrections (R25–R27).</summary>
    public static JsonElement WithoutMoney(JsonElement view)
    {
        var node = JsonNode.Parse(view.GetRawText())!.AsObject();
        foreach (var field in new[] { "rate", "currency", "amount", "agent_rate", "invoice_id", "original_duration_seconds", "corrected_at" })
        {
            node.Remove(field);
        }

        return JsonSerializer.SerializeToElement(node);
    }

    /// <summary>An API view as a tool answers it: with the project's name beside its id.</summary>
    public static JsonElement Named(JsonElement view, string projectName)
    {
        var node = JsonNode.Parse(view.GetRawText())!.AsObject();
        node.Insert(node.IndexOf("project_id") + 1, "project_name", projectName);
        return JsonSerializer.SerializeToElement(node);
    }

    public static void SameJson(JsonElement expected, JsonElement actual) =>
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse(expected.GetRawText()), JsonNode.Parse(actual.GetRawText())),
            $"expected {expected.GetRawText()}\n  actual {actual.GetRawText()}");
}

/// <summary>The real `hourdini` program, built next to these tests.</summary>
public static class Cli
{
    public static string Program { get; } = Path.Combine(AppContext.BaseDirectory, "hourdini.dll");

    public static string Dotnet { get; } = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    public static Task<(int Exit, string Out, string Err)> RunAsync(string configDir, params string[] args) => RunAsync(configDir, args, stdin: null);

    /// <summary>Runs the CLI with <paramref name="stdin"/> as its standard input (closed at once when null).</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(
        string configDir, string[] args, string? stdin, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(Program);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["XDG_CONFIG_HOME"] = configDir;
        start.Environment.Remove("HOURDINI_TOKEN");
        start.Environment.Remove("HOURDINI_URL");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}

/// <summary>One agent's whole run through tools, checked against what the HTTP API reports (the issue's "done means").</summary>
public static class AgentRun
{
    public static async Task RunAndCompareAsync(McpClient mcp, ApiClient human, string agentId)
    {
        var projectName = $"Relaunch {Guid.NewGuid():N}";
        var project = await human.CreateProjectAsync(await human.CreateClientAsync("Globex"), projectName, billAgentTime: true);
        var task = (await human.PostAsync($"/api/v1/projects/{project}/tasks", new { title = "Migrate the blog", assignee_agent_id = agentId }))
            .Expect(HttpStatusCode.Created)["task"].Str("id");
        (await human.PostAsync($"/api/v1/agents/{agentId}/messages", new { text = "Staging is down until noon" })).Expect(HttpStatusCode.Created);

        // Start by partial, case-insensitive name (as the API does); the pull comes with it (R12).
        var started = await mcp.CallOkAsync("session_start", new { project = "relaunch", description = "Blog migration", environment = new { client = "tests" } });
        var sessionId = started.GetProperty("session").Str("id");
        Assert.Equal("agent", started.GetProperty("session").CurrentBeat()); // R2
        Assert.Equal(task, Assert.Single(started.GetProperty("updates").GetProperty("tasks").EnumerateArray()).Str("id"));
        Assert.Equal("Staging is down until noon", Assert.Single(started.GetProperty("updates").GetProperty("messages").EnumerateArray()).Str("text"));

        Assert.Equal("agent", (await mcp.CallOkAsync("session_beat", new { session_id = sessionId, kind = "agent" })).GetProperty("session").CurrentBeat());
        var logged = await mcp.CallOkAsync("session_log", new { session_id = sessionId, message = "Moved 12 posts", task_id = task });
        Assert.Equal("log", logged.GetProperty("event").Str("type"));
        await Task.Delay(1100); // at least one whole billable second of agent time, so the end writes an entry
        Assert.Equal("idle", (await mcp.CallOkAsync("session_beat", new { session_id = sessionId, kind = "idle" })).GetProperty("session").CurrentBeat());
        var ended = await mcp.CallOkAsync("session_end", new { session_id = sessionId });

        // The session and entry the tools answered are exactly what the HTTP API reports to the person, less the money (R22).
        var viaApi = (await human.GetAsync($"/api/v1/sessions/{sessionId}")).Expect(HttpStatusCode.OK)["session"];
        McpSupport.SameJson(McpSupport.Named(McpSupport.WithoutMoney(viaApi), projectName), ended.GetProperty("session"));
        McpSupport.SameJson(McpSupport.Named(McpSupport.WithoutMoney(viaApi), projectName), (await mcp.CallOkAsync("session_get", new { session_id = sessionId })).GetProperty("session"));
        Assert.Equal("stopped", viaApi.Str("status"));
        Assert.Equal(new[] { "agent", "idle" }, viaApi.GetProperty("beats").EnumerateArray().Select(b => b.Str("kind")));

        var entry = ended.GetProperty("entry");
        McpSupport.SameJson(
            McpSupport.Named(McpSupport.WithoutMoney((await human.GetAsync($"/api/v1/time-entries/{entry.Str("id")}")).Expect(HttpStatusCode.OK)["time_entry"]), projectName),
            entry);
        Assert.Equal(("session", sessionId, agentId), (entry.Str("source"), entry.Str("session_id"), entry.Str("agent_id")));
        Assert.Equal(viaApi.GetProperty("totals").Long("billable_seconds"), entry.Long("duration_seconds")); // R6
        Assert.True(entry.Long("duration_seconds") >= 1);

        // The timeline (R13, R14) holds the start, the log against the task, and the stop.
        var events = (await human.GetAsync($"/api/v1/sessions/{sessionId}/timeline")).Expect(HttpStatusCode.OK)["events"].EnumerateArray().ToList();
        Assert.Equal("session_start", events[0].Str("type"));
        Assert.Equal("session_stop", events[^1].Str("type"));
        var log = Assert.Single(events, e => e.Str("type") == "log");
        Assert.Equal(("Moved 12 posts", task), (log.GetProperty("data").Str("message"), log.GetProperty("data").Str("task_id")));

        // The agent's entries, listed through the tool, include the new one.
        var listed = await mcp.CallOkAsync("list_entries", new { project_id = project });
        Assert.Equal(entry.Str("id"), Assert.Single(listed.GetProperty("time_entries").EnumerateArray()).Str("id"));
    }
}
