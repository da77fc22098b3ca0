using System.CommandLine;
using System.Net;
using System.Reflection;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Hourdini.Cli.Commands;

/// <summary>
/// <c>hourdini mcp</c>: MCP over stdio for desktop clients that only launch local processes. It holds
/// no tools of its own: it lists and calls the server's tools over streamable HTTP (<c>/mcp</c>) with the
/// token from <c>HOURDINI_TOKEN</c>, so the server stays the one place where rules live. Only MCP
/// messages go to stdout; diagnostics go to stderr.
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
                Capabilities = new ServerCapabilities { Tools = new ToolsCapability() },
                Handlers = new McpServerHandlers
                {
                    ListToolsHandler = async (request, token) =>
                        await (await remote.ClientAsync(token)).ListToolsAsync(request.Params ?? new ListToolsRequestParams(), token),
                    CallToolHandler = (request, token) => remote.CallAsync(request.Params!, token),
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

    /// <summary>The connection to the server's <c>/mcp</c>, made on first use and remade after a failure.</summary>
    private sealed class RemoteServer(Uri url, string token) : IAsyncDisposable
    {
        private readonly SemaphoreSlim gate = new(1, 1);
        private McpClient? client;

        public string? Instructions => client?.ServerInstructions;

        public async Task TryConnectAsync(CancellationToken ct)
        {
            try
            {
                await ClientAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"hourdini mcp: cannot reach {url} yet ({e.Message}); will retry on the first request.");
            }
        }

        public async Task<McpClient> ClientAsync(CancellationToken ct)
        {
            await gate.WaitAsync(ct);
            try
            {
                if (client is null)
                {
                    var transport = new HttpClientTransport(new HttpClientTransportOptions
                    {
                        Endpoint = new Uri(url, "mcp"),
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

        /// <summary>A call the server could not be asked (down, token refused) is a tool error with a code, like any refusal.</summary>
        public async ValueTask<CallToolResult> CallAsync(CallToolRequestParams request, CancellationToken ct)
        {
            try
            {
                return await (await ClientAsync(ct)).CallToolAsync(request, ct);
            }
            catch (McpProtocolException)
            {
                throw; // The server's own JSON-RPC error (e.g. an unknown tool) goes back as it is.
            }
            catch (Exception e) when (e is HttpRequestException or McpException or IOException or TimeoutException)
            {
                await ResetAsync();
                var (code, detail) = e is HttpRequestException { StatusCode: HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden }
                    ? ("unauthorized", "The Hourdini server refused the token; check HOURDINI_TOKEN.")
                    : ("server_unreachable", $"Cannot reach the Hourdini server at {url}: {e.Message}");
                var problem = JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["code"] = code, ["detail"] = detail });
                return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = problem.GetRawText() }], StructuredContent = problem };
            }
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
