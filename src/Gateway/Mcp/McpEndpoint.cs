using System.Reflection;
using System.Text.Json;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Http;
using Microsoft.AspNetCore.Authorization;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Hourdini.Gateway.Mcp;

/// <summary>
/// <c>/mcp</c>: MCP over streamable HTTP, hosted by <c>ModelContextProtocol.AspNetCore</c> (<c>MapMcp</c>) in its stateless
/// mode: every POST is served by a fresh MCP server bound to that request, so any node answers any call (DESIGN.md: no
/// MCP session state lives in a node). Only bearer tokens are accepted: a request without one is answered 401 before any
/// MCP work, and cookies never authenticate here. The gateway's middleware runs first, as for every route: the Host and
/// Origin check (<c>Hourdini:Mcp:AllowedHosts</c>), rate limits, body limits and the agent lease.
/// </summary>
public static class McpEndpoint
{
    public const string Path = "/mcp";

    private const string Instructions =
        "Hourdini records billable time for the user you work for. A session groups a block of work; at every moment it is " +
        "'active' (the human drives), 'agent' (you run on your own) or 'idle'. Typical run (the prompt track_agent_run spells it out): " +
        "session_start on the project (it starts in agent time; read the tasks and messages it returns), session_log at meaningful " +
        "steps (with task_id when about a task), task_update status=done when you finish a task, session_beat kind=idle when you stop " +
        "and wait, kind=agent when you resume, session_end when the block of work is done (it cannot be undone). Any call you make keeps " +
        "your session alive; if you go silent past the org's lease, it is stopped for you.";

    /// <summary>R21, R22: the tools an agent token may call (marked <see cref="AllowAgentsAttribute"/>); any other is refused to it.</summary>
    public static IReadOnlySet<string> AgentTools { get; } = typeof(HourdiniTools)
        .GetMethods(BindingFlags.Public | BindingFlags.Instance)
        .Where(method => method.GetCustomAttribute<AllowAgentsAttribute>() is not null)
        .Select(method => method.GetCustomAttribute<McpServerToolAttribute>()!.Name!)
        .ToHashSet();

    public static IServiceCollection AddHourdiniMcp(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddMcpServer(options =>
            {
                options.ServerInfo = new Implementation { Name = "hourdini", Title = "Hourdini", Version = Version };
                options.ServerInstructions = Instructions;
            })
            .WithHttpTransport(transport => transport.Stateless = true)
            .WithTools(ToolSchemas.Tools)
            .WithResources<HourdiniResources>()
            .WithPrompts<HourdiniPrompts>()
            .WithCompleteHandler(HourdiniPrompts.CompleteAsync)
            .WithRequestFilters(filters => filters.AddCallToolFilter(next => (call, ct) =>
                Refusal(call) is { } refusal ? ValueTask.FromResult(HourdiniTools.Refused(refusal)) : next(call, ct)));
        return services;
    }

    public static void MapHourdiniMcp(this WebApplication app)
    {
        app.UseWhen(context => HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(Path), branch => branch.Use(RefuseMalformedAsync));
        var bearerOnly = new AuthorizationPolicyBuilder(AuthSetup.BearerScheme).RequireAuthenticatedUser().Build();
        app.MapMcp(Path).RequireAuthorization(bearerOnly).ExcludeFromDescription()
            .AllowAgents("each tool says whether agents may call it ([AllowAgents] on HourdiniTools); resources and prompts are the caller's own");

        // Stateless: there is no server-to-client stream to open (GET) and no session to close (DELETE).
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Delete], (HttpContext context) =>
        {
            context.Response.Headers.Allow = HttpMethods.Post;
            return Problems.Write(context, 405, "method_not_allowed", "Method not allowed", "This MCP server is stateless: send each JSON-RPC message with POST.");
        }).RequireAuthorization(bearerOnly).ExcludeFromDescription().AllowAgents("answers 405 to everyone");
    }

    /// <summary>
    /// What the SDK would refuse with no code to match on is answered here, as a JSON-RPC error that carries the API's stable
    /// code in <c>error.data.code</c> like every other refusal:
    /// <list type="bullet">
    /// <item>an <c>Accept</c> header without both <c>application/json</c> and <c>text/event-stream</c> (the SDK's own test, so
    /// the same requests pass): 406 <c>not_acceptable</c>;</item>
    /// <item>a body that is not one JSON-RPC 2.0 message: 400 <c>malformed_request</c> (-32700 or -32600);</item>
    /// <item>a <c>tools/call</c> or <c>prompts/get</c> without a name, with arguments that are not an object, or a prompt
    /// without an argument it requires (<see cref="PromptArguments"/>): -32602 <c>validation_failed</c> with the argument in
    /// <c>data.field</c> (the SDK answered these -32603 "An error occurred").</item>
    /// </list>
    /// </summary>
    private static async Task RefuseMalformedAsync(HttpContext context, RequestDelegate next)
    {
        var accept = context.Request.GetTypedHeaders().Accept;
        if (!accept.Any(h => h.MatchesMediaType("application/json")) || !accept.Any(h => h.MatchesMediaType("text/event-stream")))
        {
            await RefuseAsync(context, StatusCodes.Status406NotAcceptable, null, -32000,
                "Not Acceptable: the client must accept both application/json and text/event-stream.", new { code = "not_acceptable" });
            return;
        }

        context.Request.EnableBuffering();
        (int Code, string Message)? malformed;
        (string Message, string? Field)? invalid = null;
        JsonElement? requestId = null;
        try
        {
            using var json = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var root = json.RootElement;
            var message = root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("jsonrpc", out var version) && version.ValueKind == JsonValueKind.String && version.GetString() == "2.0"
                && (!root.TryGetProperty("id", out var id) || id.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                && (!root.TryGetProperty("params", out var parameters) || parameters.ValueKind == JsonValueKind.Object)
                && ((root.TryGetProperty("method", out var method) && method.ValueKind == JsonValueKind.String)
                    || (root.TryGetProperty("id", out _) && (root.TryGetProperty("result", out _) || root.TryGetProperty("error", out _))));
            malformed = message ? null : (-32600, "The body must be one JSON-RPC 2.0 message: an object with \"jsonrpc\": \"2.0\", a method, a string or number id, object params.");
            if (message && root.TryGetProperty("id", out var asked))
            {
                requestId = asked.Clone();
                invalid = InvalidParams(root);
            }
        }
        catch (JsonException)
        {
            malformed = (-32700, "The body is not JSON: send one JSON-RPC 2.0 message.");
        }

        if (malformed is { } refusal)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, null, refusal.Code, refusal.Message, new { code = "malformed_request" });
            return;
        }

        if (invalid is { } wrong)
        {
            await RefuseAsync(context, StatusCodes.Status200OK, requestId, -32602, wrong.Message, new { code = "validation_failed", field = wrong.Field });
            return;
        }

        context.Request.Body.Position = 0;
        await next(context);
    }

    /// <summary>What is wrong with a tools/call's or prompts/get's params, or null; the SDK checks every other method's.</summary>
    private static (string Message, string? Field)? InvalidParams(JsonElement request)
    {
        // A response (result or error, no method) or a notification has no params to check.
        var method = request.TryGetProperty("method", out var named) && named.ValueKind == JsonValueKind.String ? named.GetString() : null;
        if (method is not ("tools/call" or "prompts/get"))
        {
            return null;
        }

        var what = method == "tools/call" ? "tool" : "prompt";
        if (!request.TryGetProperty("params", out var parameters) || !parameters.TryGetProperty("name", out var name)
            || name.ValueKind != JsonValueKind.String || name.GetString() is not { Length: > 0 } target)
        {
            return ($"{method} needs params.name, the {what}'s name.", "name");
        }

        var arguments = parameters.TryGetProperty("arguments", out var given) && given.ValueKind != JsonValueKind.Null ? given : (JsonElement?)null;
        if (arguments is { ValueKind: not JsonValueKind.Object })
        {
            return ("params.arguments must be an object of the arguments by name.", "arguments");
        }

        if (method == "prompts/get" && PromptArguments.TryGetValue(target, out var required))
        {
            foreach (var argument in required)
            {
                if (arguments is not { } values || !values.TryGetProperty(argument, out var value) || value.ValueKind != JsonValueKind.String
                    || string.IsNullOrWhiteSpace(value.GetString()))
                {
                    return ($"{argument} is required by the {target} prompt.", argument);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Each prompt's required arguments, read from its method as the SDK lists them: a string parameter without a default
    /// (the prompts take only strings). A new prompt or argument is checked without a change here.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string[]> PromptArguments = typeof(HourdiniPrompts)
        .GetMethods(BindingFlags.Public | BindingFlags.Static)
        .Where(method => method.GetCustomAttribute<McpServerPromptAttribute>() is not null)
        .ToDictionary(
            method => method.GetCustomAttribute<McpServerPromptAttribute>()!.Name ?? method.Name,
            method => method.GetParameters().Where(p => p.ParameterType == typeof(string) && !p.HasDefaultValue).Select(p => p.Name!).ToArray());

    private static Task RefuseAsync(HttpContext context, int status, JsonElement? id, int code, string message, object data) =>
        Results.Json(new { jsonrpc = "2.0", id, error = new { code, message, data } }, statusCode: status).ExecuteAsync(context);

    /// <summary>
    /// An agent token calling a person's tool is refused before its arguments are even read (R21, R22); then the arguments
    /// are checked against the tool's schema. An unknown tool goes on to the SDK, which answers its JSON-RPC error.
    /// </summary>
    private static Grains.Common.Refusal? Refusal(RequestContext<CallToolRequestParams> call)
    {
        if (!ToolSchemas.ByName.TryGetValue(call.Params?.Name ?? "", out var tool))
        {
            return null;
        }

        var agent = call.User is { } user && AuthSetup.TryCaller(user) is { IsAgent: true };
        return agent && !AgentTools.Contains(tool.ProtocolTool.Name)
            ? AgentScope.Refused($"Agent tokens cannot call {tool.ProtocolTool.Name}; use a personal access token.")
            : ToolArguments.Check(tool.ProtocolTool, call.Params!.Arguments);
    }

    private static string Version { get; } =
        typeof(McpEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    /// <summary>The caller's HTTP request, which every tool, resource and prompt runs on behalf of.</summary>
    public static HttpContext Http(this IServiceProvider? services) =>
        (services ?? throw new InvalidOperationException("An MCP request without services."))
        .GetRequiredService<IHttpContextAccessor>().HttpContext
        ?? throw new InvalidOperationException("An MCP request outside an HTTP request.");

    /// <summary>JSON for what a model reads: the API's options, with quotes as <c>\"</c> rather than <c>\u0022</c>.</summary>
    public static JsonSerializerOptions ReadableJson { get; } = HttpSetup.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
