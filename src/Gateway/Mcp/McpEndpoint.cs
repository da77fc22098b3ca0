using System.Reflection;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Hourdini.Gateway.Mcp;

/// <summary>
/// <c>/mcp</c>: MCP over streamable HTTP, stateless. Each POST carries one JSON-RPC message and is
/// served by a fresh MCP server bound to that request, so any node answers any call (DESIGN.md:
/// no MCP session state lives in a node). Only bearer tokens are accepted: a request without one is
/// answered 401 before any MCP work, and cookies never authenticate here.
/// </summary>
public static class McpEndpoint
{
    public const string Path = "/mcp";

    private const string Instructions =
        "Hourdini records billable time for the user you work for. A session groups a block of work; at every moment it is " +
        "'active' (the human drives), 'agent' (you run on your own) or 'idle'. Typical run: session_start on the project " +
        "(read the tasks and messages it returns), session_beat kind=agent when you start working, session_log at meaningful " +
        "steps (with task_id when about a task), session_beat kind=idle when you stop and wait, session_end when the block of " +
        "work is done. Any call you make keeps your session alive; if you go silent past the org's lease, it is stopped for you.";

    /// <summary>The tools are described once (their schemas come from reflection) and bound to each request's caller.</summary>
    private static readonly McpServerTool[] Tools = typeof(HourdiniTools)
        .GetMethods(BindingFlags.Public | BindingFlags.Instance)
        .Where(method => method.GetCustomAttribute<McpServerToolAttribute>() is not null)
        .Select(method => McpServerTool.Create(
            method,
            context => new HourdiniTools(context.Services!.GetRequiredService<McpRequest>().Http!),
            new McpServerToolCreateOptions()))
        .ToArray();

    private static readonly Dictionary<string, McpServerTool> ToolsByName = Tools.ToDictionary(t => t.ProtocolTool.Name);

    /// <summary>R21, R22: the tools an agent token may call (marked <see cref="AllowAgentsAttribute"/>); any other is refused to it.</summary>
    public static IReadOnlySet<string> AgentTools { get; } = typeof(HourdiniTools)
        .GetMethods(BindingFlags.Public | BindingFlags.Instance)
        .Where(method => method.GetCustomAttribute<AllowAgentsAttribute>() is not null)
        .Select(method => method.GetCustomAttribute<McpServerToolAttribute>()!.Name!)
        .ToHashSet();

    public static IServiceCollection AddHourdiniMcp(this IServiceCollection services) => services.AddScoped<McpRequest>();

    public static void MapMcp(this WebApplication app)
    {
        var bearerOnly = new AuthorizationPolicyBuilder(AuthSetup.BearerScheme).RequireAuthenticatedUser().Build();
        app.MapPost(Path, HandlePostAsync).RequireAuthorization(bearerOnly).ExcludeFromDescription()
            .AllowAgents("each tool says whether agents may call it ([AllowAgents] on HourdiniTools)");

        // Stateless: there is no server-to-client stream to open (GET) and no session to close (DELETE).
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Delete], (HttpContext context) =>
        {
            context.Response.Headers.Allow = HttpMethods.Post;
            return Problems.Write(context, 405, "method_not_allowed", "Method not allowed", "This MCP server is stateless: send each JSON-RPC message with POST.");
        }).RequireAuthorization(bearerOnly).ExcludeFromDescription().AllowAgents("answers 405 to everyone");
    }

    private static async Task HandlePostAsync(HttpContext context, ILoggerFactory loggers, McpRequest request)
    {
        var accept = context.Request.GetTypedHeaders().Accept;
        if (!accept.Any(a => a.MatchesMediaType("application/json")) || !accept.Any(a => a.MatchesMediaType("text/event-stream")))
        {
            await WriteJsonRpcErrorAsync(context, 406, -32000, "not_acceptable", "The client must accept both application/json and text/event-stream.");
            return;
        }

        JsonRpcMessage? message;
        try
        {
            message = await context.Request.ReadFromJsonAsync(McpJson<JsonRpcMessage>(), context.RequestAborted);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NotSupportedException)
        {
            message = null;
        }

        if (message is null)
        {
            await WriteJsonRpcErrorAsync(context, 400, -32700, "malformed_request", "The body must be one JSON-RPC 2.0 message.");
            return;
        }

        message.Context = new JsonRpcMessageContext { User = context.User };
        request.Http = context;

        var options = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "hourdini", Title = "Hourdini", Version = Version },
            ServerInstructions = Instructions,
            ScopeRequests = false,
            ToolCollection = [.. Tools],
        };
        var agent = AuthSetup.TryCaller(context.User) is { IsAgent: true };
        options.Filters.Request.CallToolFilters.Add(next => (call, ct) =>
            ToolsByName.TryGetValue(call.Params?.Name ?? "", out var tool) && Refusal(tool, call.Params!.Arguments, agent) is { } refusal
                ? ValueTask.FromResult(HourdiniTools.Refused(refusal))
                : next(call, ct));

        var transport = new StreamableHttpServerTransport(loggers) { Stateless = true };
        var server = McpServer.Create(transport, options, loggers, context.RequestServices);
        var running = server.RunAsync(context.RequestAborted);
        try
        {
            context.Response.Headers.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache,no-store";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            context.Features.GetRequiredFeature<IHttpResponseBodyFeature>().DisableBuffering();
            if (!await transport.HandlePostRequestAsync(message, context.Response.Body, context.RequestAborted))
            {
                // A notification or a response from the client: accepted, nothing to answer.
                context.Response.Headers.ContentType = (string?)null;
                context.Response.StatusCode = StatusCodes.Status202Accepted;
            }
        }
        finally
        {
            await transport.DisposeAsync();
            try
            {
                await running;
            }
            catch (OperationCanceledException)
            {
                // The client went away; the request's own work has already finished or was abandoned.
            }

            await server.DisposeAsync();
        }
    }

    /// <summary>An agent token calling a person's tool is refused before its arguments are even read (R21, R22).</summary>
    private static Grains.Common.Refusal? Refusal(McpServerTool tool, IDictionary<string, System.Text.Json.JsonElement>? arguments, bool agent) =>
        agent && !AgentTools.Contains(tool.ProtocolTool.Name)
            ? AgentScope.Refused($"Agent tokens cannot call {tool.ProtocolTool.Name}; use a personal access token.")
            : ToolArguments.Check(tool.ProtocolTool, arguments);

    private static string Version { get; } =
        typeof(McpEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    private static System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> McpJson<T>() =>
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(T));

    /// <summary>Refusals of the transport itself are JSON-RPC errors (what MCP clients read), with the API's code in <c>data</c>.</summary>
    private static Task WriteJsonRpcErrorAsync(HttpContext context, int status, int rpcCode, string code, string message)
    {
        var error = new JsonRpcError
        {
            Id = default,
            Error = new JsonRpcErrorDetail { Code = rpcCode, Message = message, Data = new Dictionary<string, string> { ["code"] = code } },
        };
        return Results.Json(error, McpJson<JsonRpcError>(), statusCode: status).ExecuteAsync(context);
    }
}

/// <summary>The HTTP request an MCP server instance serves (scoped: one per request).</summary>
public sealed class McpRequest
{
    public HttpContext? Http { get; set; }
}
