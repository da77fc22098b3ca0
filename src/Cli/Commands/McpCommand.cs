using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Hourdini.Cli.Commands;

/// <summary>
/// <c>hourdini mcp</c>: MCP over stdio for desktop clients that only launch local processes. It holds no tools of its
/// own: it lists and calls the server's tools, resources and prompts over streamable HTTP (<c>/mcp</c>) with the token
/// from <c>HOURDINI_TOKEN</c>, so the server stays the one place where rules live. When the server cannot be asked (down,
/// token refused, agent disabled) its tools, resources and prompts are still listed, from the copy built into this program
/// (<c>McpSurface.json</c>, kept equal to the server's by a test), and each call, read or prompt explains what is wrong
/// with the server's <c>code</c>: a desktop host then shows the server as it is and the model can tell the user what to fix. Only MCP messages go to
/// stdout; diagnostics go to stderr.
/// </summary>
public static class McpCommand
{
    public static Command Create(CommonOptions common)
    {
        var command = new Command("mcp", "Speak MCP over stdio and forward every request to a Hourdini server (token from HOURDINI_TOKEN).");
        command.SetAction(async (parse, ct) =>
        {
            Uri url;
            string token;
            try
            {
                url = Settings.ResolveUrl(parse.GetValue(common.Url));
                token = Settings.ResolveToken();
            }
            catch (CliException e)
            {
                await Console.Error.WriteLineAsync($"hourdini mcp: {e.Message}");
                return e.ExitCode;
            }

            await using var remote = new RemoteServer(url, token);
            await remote.TryConnectAsync(ct);
            var options = new McpServerOptions
            {
                ServerInfo = new Implementation { Name = "hourdini", Title = "Hourdini (stdio bridge)", Version = Version },
                ServerInstructions = remote.Instructions,
                Capabilities = new ServerCapabilities
                {
                    Tools = new ToolsCapability(),
                    Resources = new ResourcesCapability(),
                    Prompts = new PromptsCapability(),
                    Completions = new CompletionsCapability(),
                },
                Handlers = new McpServerHandlers
                {
                    // The built-in lists are one page: a request for a later page (a cursor from the server) gets none.
                    ListToolsHandler = (request, token) => remote.ListOrKnownAsync(
                        c => c.ListToolsAsync(request.Params ?? new ListToolsRequestParams(), token),
                        () => new ListToolsResult { Tools = request.Params?.Cursor is null ? Known.Tools : [] }, token),
                    CallToolHandler = (request, token) => remote.CallAsync(request.Params!, token),
                    ListResourcesHandler = (request, token) => remote.ListOrKnownAsync(
                        c => c.ListResourcesAsync(request.Params ?? new ListResourcesRequestParams(), token),
                        () => new ListResourcesResult { Resources = request.Params?.Cursor is null ? Known.Resources : [] }, token),
                    ReadResourceHandler = (request, token) => remote.ForwardAsync(c => c.ReadResourceAsync(request.Params!, token), token),
                    ListPromptsHandler = (request, token) => remote.ListOrKnownAsync(
                        c => c.ListPromptsAsync(request.Params ?? new ListPromptsRequestParams(), token),
                        () => new ListPromptsResult { Prompts = request.Params?.Cursor is null ? Known.Prompts : [] }, token),
                    GetPromptHandler = (request, token) => remote.ForwardAsync(c => c.GetPromptAsync(request.Params!, token), token),
                    CompleteHandler = (request, token) => remote.ForwardAsync(c => c.CompleteAsync(request.Params!, token), token),
                },
            };

            await using var transport = new StdioServerTransport(options);
            await using var server = McpServer.Create(transport, options);
            await server.RunAsync(ct);
            return 0;
        });
        return command;
    }

    private static string Version { get; } =
        typeof(McpCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    /// <summary>The server's tools, resources and prompts as this program was built with them: what a host sees while the server cannot be asked.</summary>
    public static KnownSurface Known { get; } = KnownSurface.Load();

    /// <summary>The lists in <c>McpSurface.json</c>, each as the server's <c>tools/list</c>, <c>resources/list</c> and <c>prompts/list</c> answer it.</summary>
    public sealed record KnownSurface(IList<Tool> Tools, IList<Resource> Resources, IList<Prompt> Prompts)
    {
        public static KnownSurface Load()
        {
            using var stream = typeof(McpCommand).Assembly.GetManifestResourceStream("Hourdini.Cli.McpSurface.json")!;
            var document = JsonNode.Parse(stream)!;
            return new KnownSurface(Read<List<Tool>>("tools"), Read<List<Resource>>("resources"), Read<List<Prompt>>("prompts"));

            T Read<T>(string name) => (T)document[name].Deserialize(McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(T)))!;
        }
    }

    /// <summary>The connection to the server's <c>/mcp</c>, made on first use and remade after a failure.</summary>
    private sealed class RemoteServer(Uri url, string token) : IAsyncDisposable
    {
        private readonly SemaphoreSlim gate = new(1, 1);
        private McpClient? client;

        public string? Instructions => client?.ServerInstructions;

        private Uri Endpoint => new(url, "mcp");

        public async Task TryConnectAsync(CancellationToken ct)
        {
            try
            {
                await ClientAsync(ct);
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                var (code, detail) = await DiagnoseAsync(e, ct);
                await Console.Error.WriteLineAsync($"hourdini mcp: {detail} ({code}); the tools are listed and each call will say so until it is fixed.");
            }
        }

        private async Task<McpClient> ClientAsync(CancellationToken ct)
        {
            await gate.WaitAsync(ct);
            try
            {
                if (client is null)
                {
                    var transport = new HttpClientTransport(new HttpClientTransportOptions
                    {
                        Endpoint = Endpoint,
                        TransportMode = HttpTransportMode.StreamableHttp,
                        EnableStandaloneGetStream = false,
                        AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
                        ConnectionTimeout = TimeSpan.FromSeconds(10),
                    });
                    client = await McpClient.CreateAsync(transport, cancellationToken: ct);
                }

                return client;
            }
            finally
            {
                gate.Release();
            }
        }

        /// <summary>The server's list when it answers, else the known one: a host always has tools, resources and prompts to show.</summary>
        public async ValueTask<T> ListOrKnownAsync<T>(Func<McpClient, ValueTask<T>> list, Func<T> known, CancellationToken ct)
        {
            try
            {
                return await list(await ClientAsync(ct));
            }
            catch (McpProtocolException e)
            {
                throw AsTheServerSaidIt(e);
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                await ResetAsync();
                return known();
            }
        }

        /// <summary>A call the server could not be asked is a tool error with the server's code (or server_unreachable), like any refusal.</summary>
        public async ValueTask<CallToolResult> CallAsync(CallToolRequestParams request, CancellationToken ct)
        {
            try
            {
                return await (await ClientAsync(ct)).CallToolAsync(request, ct);
            }
            catch (McpProtocolException e)
            {
                throw AsTheServerSaidIt(e);
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                await ResetAsync();
                var (code, detail) = await DiagnoseAsync(e, ct);
                // Like the server's refusals: the problem in the text, no structuredContent (it would not fit the tool's outputSchema).
                var problem = new JsonObject { ["code"] = code, ["detail"] = detail };
                return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = problem.ToJsonString() }] };
            }
        }

        /// <summary>Reading a resource, getting a prompt and completing go to the server as they are; when it cannot be asked, the error says why.</summary>
        public async ValueTask<T> ForwardAsync<T>(Func<McpClient, ValueTask<T>> call, CancellationToken ct)
        {
            try
            {
                return await call(await ClientAsync(ct));
            }
            catch (McpProtocolException e)
            {
                throw AsTheServerSaidIt(e);
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                await ResetAsync();
                var (code, detail) = await DiagnoseAsync(e, ct);
                var error = new McpProtocolException($"{detail} ({code})", McpErrorCode.InternalError);
                error.Data["code"] = code; // error.data.code, as the server's own refusals carry it (the SDK sends Exception.Data as data)
                throw error;
            }
        }

        /// <summary>
        /// The server's own JSON-RPC error, passed on as the server said it: its code, its words without the client's
        /// "Request failed (remote): " and its data (e.g. <c>data.code</c>), so a host sees the same error over stdio as over HTTP.
        /// </summary>
        private static McpProtocolException AsTheServerSaidIt(McpProtocolException error)
        {
            const string Remote = "Request failed (remote): ";
            var message = error.Message.StartsWith(Remote, StringComparison.Ordinal) ? error.Message[Remote.Length..] : error.Message;
            var passed = new McpProtocolException(message, error.ErrorCode);
            foreach (System.Collections.DictionaryEntry entry in error.Data)
            {
                passed.Data[entry.Key] = entry.Value;
            }

            return passed;
        }

        /// <summary>The server's own JSON-RPC errors (e.g. an unknown tool) go back as they are; anything else means it could not be asked.</summary>
        private static bool IsUnreachable(Exception e) =>
            e is not McpProtocolException and (HttpRequestException or McpException or IOException or TimeoutException or InvalidOperationException);

        /// <summary>
        /// Why the server could not be asked, in its own words: a refusal of the token (unauthorized, agent_disabled…) is
        /// read from the problem details a plain request gets; no answer at all is server_unreachable.
        /// </summary>
        private async Task<(string Code, string Detail)> DiagnoseAsync(Exception error, CancellationToken ct)
        {
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                using var probe = new HttpRequestMessage(HttpMethod.Post, Endpoint)
                {
                    Content = new StringContent("""{"jsonrpc":"2.0","id":0,"method":"ping"}""", Encoding.UTF8, "application/json"),
                };
                probe.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                probe.Headers.Accept.ParseAdd("application/json");
                probe.Headers.Accept.ParseAdd("text/event-stream");
                using var response = await http.SendAsync(probe, ct);
                if ((int)response.StatusCode >= 400
                    && response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                    && JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) is JsonObject problem
                    && problem["code"]?.GetValue<string>() is { } code)
                {
                    var detail = problem["detail"]?.GetValue<string>() ?? response.ReasonPhrase ?? code;
                    return code == "unauthorized"
                        ? (code, $"The Hourdini server refused the token: {detail} Check HOURDINI_TOKEN.")
                        : (code, $"The Hourdini server refused the request: {detail}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or JsonException or InvalidOperationException)
            {
                // No answer (or none we can read): the server cannot be reached.
            }

            return error is HttpRequestException { StatusCode: HttpStatusCode.Unauthorized }
                ? ("unauthorized", "The Hourdini server refused the token; check HOURDINI_TOKEN.")
                : ("server_unreachable",
                    $"Cannot reach the Hourdini server at {url}: {error.Message.TrimEnd('.')}. Check that it is running and that --url (or HOURDINI_URL) points at it.");
        }

        private async Task ResetAsync()
        {
            await gate.WaitAsync();
            try
            {
                if (client is not null)
                {
                    await client.DisposeAsync();
                    client = null;
                }
            }
            finally
            {
                gate.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }

            gate.Dispose();
        }
    }
}
