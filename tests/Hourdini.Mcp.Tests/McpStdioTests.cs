using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Hourdini.Testing;

namespace Hourdini.Mcp.Tests;

/// <summary>The built `hourdini mcp`, launched as a child process, bridges stdio to the server's /mcp.</summary>
public class McpStdioTests(HourdiniServer server) : IClassFixture<HourdiniServer>
{
    [Fact]
    public async Task The_stdio_bridge_lists_the_same_tools_and_runs_the_same_agent_exchange()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (agentId, agent) = await human.CreateAgentAsync("claude-desktop");
        await using var stdio = await McpSupport.ConnectStdioAsync(server.BaseAddress, agent.Token());
        await using var http = await McpSupport.ConnectHttpAsync(server.BaseAddress, agent.Token());

        var bridged = await stdio.ListToolsAsync();
        var direct = await http.ListToolsAsync();
        Assert.Equal(McpSupport.ToolNames.Order(), bridged.Select(t => t.Name).Order());
        foreach (var tool in direct)
        {
            McpSupport.SameJson(tool.JsonSchema, bridged.Single(t => t.Name == tool.Name).JsonSchema);
        }

        Assert.Equal(http.ServerInstructions, stdio.ServerInstructions);
        await AgentRun.RunAndCompareAsync(stdio, human, agentId);

        // Refusals cross the bridge unchanged, and so do the server's own JSON-RPC errors: code and words.
        await stdio.CallRefusedAsync("session_beat", new { session_id = Guid.NewGuid(), kind = "agent" }, "not_found");
        await stdio.CallRefusedAsync("session_start", new { project = 7 }, "validation_failed");
        var overHttp = await Assert.ThrowsAsync<McpProtocolException>(() => http.ReadResourceAsync("hourdini://nothing/here").AsTask());
        var overStdio = await Assert.ThrowsAsync<McpProtocolException>(() => stdio.ReadResourceAsync("hourdini://nothing/here").AsTask());
        Assert.Equal((overHttp.ErrorCode, overHttp.Message), (overStdio.ErrorCode, overStdio.Message));
    }

    [Fact]
    public async Task The_bridge_lists_the_tools_resources_and_prompts_of_a_server_it_cannot_reach_and_each_call_says_so()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now

        await using var stdio = await McpSupport.ConnectStdioAsync(new Uri($"http://127.0.0.1:{port}/"), "hd_agt_live_whatever");
        Assert.Equal(McpSupport.ToolNames.Order(), (await stdio.ListToolsAsync()).Select(t => t.Name).Order());
        Assert.Equal(["hourdini://projects", "hourdini://sessions/open"], (await stdio.ListResourcesAsync()).Select(r => r.Uri).Order());
        Assert.Equal("track_agent_run", Assert.Single(await stdio.ListPromptsAsync()).Name);
        var unreachable = await stdio.CallRefusedAsync("session_get", null, "server_unreachable");
        Assert.Contains($"127.0.0.1:{port}", unreachable.Str("detail")); // what happened…
        Assert.Contains("HOURDINI_URL", unreachable.Str("detail")); // …and what to do

        // Reading what is listed needs the server: the error says why, with the same code.
        var read = await Assert.ThrowsAsync<McpProtocolException>(() => stdio.ReadResourceAsync("hourdini://projects").AsTask());
        Assert.Contains("server_unreachable", read.Message);
        Assert.Equal("server_unreachable", read.Data["code"]?.ToString()); // error.data.code, as on HTTP
    }

    [Fact]
    public async Task With_a_refused_token_the_bridge_still_lists_the_tools_and_calls_say_why_with_the_servers_code() // R21
    {
        await using (var forged = await McpSupport.ConnectStdioAsync(server.BaseAddress, "hd_pat_live_forged0000000000000000000000"))
        {
            Assert.Equal(McpSupport.ToolNames.Order(), (await forged.ListToolsAsync()).Select(t => t.Name).Order());
            Assert.Contains("HOURDINI_TOKEN", (await forged.CallRefusedAsync("session_get", null, "unauthorized")).Str("detail"));
        }

        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        var (agentId, agent) = await human.CreateAgentAsync();
        (await human.SendAsync(HttpMethod.Patch, $"/api/v1/agents/{agentId}", new { status = "disabled" })).Expect(HttpStatusCode.OK);
        await using var disabled = await McpSupport.ConnectStdioAsync(server.BaseAddress, agent.Token());
        Assert.Equal(McpSupport.ToolNames.Order(), (await disabled.ListToolsAsync()).Select(t => t.Name).Order());
        await disabled.CallRefusedAsync("session_start", new { project = "anything" }, "agent_disabled");
    }

    /// <summary>
    /// The tools, resources and prompts the bridge lists while the server cannot be asked are the server's, schemas and
    /// all. When they change, run this test with HOURDINI_UPDATE_MCP_TOOLS=1 to rewrite src/Cli/McpSurface.json, and rebuild.
    /// </summary>
    [Fact]
    public async Task The_tools_resources_and_prompts_built_into_the_bridge_are_the_servers()
    {
        var (human, _, _) = await ApiClient.SignUpAsync(server.BaseAddress);
        await using var http = await McpSupport.ConnectHttpAsync(server.BaseAddress, human.Token());
        var options = new JsonSerializerOptions(McpJsonUtilities.DefaultOptions) { WriteIndented = true };
        var served = Surface(
            (await http.ListToolsAsync()).Select(t => t.ProtocolTool).OrderBy(t => t.Name).ToList(),
            (await http.ListResourcesAsync()).Select(r => r.ProtocolResource).OrderBy(r => r.Uri).ToList(),
            (await http.ListPromptsAsync()).Select(p => p.ProtocolPrompt).OrderBy(p => p.Name).ToList());
        if (Environment.GetEnvironmentVariable("HOURDINI_UPDATE_MCP_TOOLS") == "1")
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (!File.Exists(Path.Combine(root.FullName, "Hourdini.sln")))
            {
                root = root.Parent!;
            }

            await File.WriteAllTextAsync(Path.Combine(root.FullName, "src", "Cli", "McpSurface.json"), served + "\n");
        }

        var known = Hourdini.Cli.Commands.McpCommand.Known;
        Assert.True(
            Surface([.. known.Tools.OrderBy(t => t.Name)], [.. known.Resources.OrderBy(r => r.Uri)], [.. known.Prompts.OrderBy(p => p.Name)]) == served,
            "src/Cli/McpSurface.json differs from the server's tools, resources or prompts: rerun with HOURDINI_UPDATE_MCP_TOOLS=1 and rebuild.");

        string Surface(List<Tool> tools, List<Resource> resources, List<Prompt> prompts) => new JsonObject
        {
            ["tools"] = JsonSerializer.SerializeToNode(tools, options),
            ["resources"] = JsonSerializer.SerializeToNode(resources, options),
            ["prompts"] = JsonSerializer.SerializeToNode(prompts, options),
        }.ToJsonString(options);
    }
}
