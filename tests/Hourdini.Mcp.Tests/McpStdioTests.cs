using System.Net;
using System.Net.Sockets;
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

        // Refusals cross the bridge unchanged.
        await stdio.CallRefusedAsync("session_beat", new { session_id = Guid.NewGuid(), kind = "agent" }, "not_found");
        await stdio.CallRefusedAsync("session_start", new { project = 7 }, "validation_failed");
    }

    [Fact]
    public async Task The_bridge_reports_a_server_it_cannot_reach_as_a_tool_error()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now

        await using var stdio = await McpSupport.ConnectStdioAsync(new Uri($"http://127.0.0.1:{port}/"), "hd_agt_live_whatever");
        await stdio.CallRefusedAsync("session_get", null, "server_unreachable");
    }
}
