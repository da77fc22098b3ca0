using System.Reflection;
using System.Text.Json.Nodes;
using Hourdini.Gateway.Auth;
using Hourdini.Gateway.Protection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Hourdini.Gateway.OpenApi;

/// <summary>
/// The OpenAPI document of <c>/api/v1</c> (<c>/openapi/v1.json</c>) and its reference UI (<c>/docs</c>). Endpoints state
/// their own answers (<see cref="Http.EndpointDocs"/>); the transformers here add what every endpoint shares and the
/// framework cannot see: the refusals the middleware answers (problem details with a code), the two ways to sign in,
/// <c>Idempotency-Key</c>, and the wire format of times, money and numbers.
/// </summary>
public static class OpenApiSetup
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/docs";
    public const string Bearer = "bearer";
    public const string Cookie = "cookie";

    private const string ProblemType = "application/problem+json";

    /// <summary>The surfaces, in the order the reference shows them.</summary>
    private static readonly (string Name, string Description)[] Tags =
    [
        ("Accounts", "Sign-up and sign-in (a cookie session), the caller, personal access tokens."),
        ("Organization", "The org, its members and invitations."),
        ("Clients", "Clients (currency, default rate) and which viewers see them."),
        ("Projects", "Projects (rate, Bill agent time, agent rate), their tasks and budgets."),
        ("Timer", "The bare running timer: one at a time, never beside an active session (R3)."),
        ("Sessions", "Sessions and their beats: active (a person drives), agent, idle. Ending one writes its time entry."),
        ("Time entries", "Entries: the list, manual backfill, edits and corrections, export and import."),
        ("Reports", "Totals per client, project, agent, source, user, day or week, money per currency."),
        ("Invoices", "Drafts from a client's billable entries; issuing numbers them and locks their entries."),
        ("Agents", "Agent identities and tokens, messages and tasks for them, their pull of updates."),
        ("Webhooks", "Signed deliveries of events to an owner's URL."),
        ("Health", "Liveness and readiness for load balancers."),
    ];

    public static IServiceCollection AddHourdiniOpenApi(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        // The API and the probes; the web app's own routes (/app/*) and /mcp are not part of it.
        options.ShouldInclude = description =>
            description.RelativePath is { } path && (path.StartsWith("api/v1/", StringComparison.Ordinal) || path is "healthz" or "readyz");

        // Request records are nested in their surface's class (Timer.StartRequest, Sessions.StartRequest): the name says whose.
        options.CreateSchemaReferenceId = type => type.Type == typeof(System.Text.Json.JsonElement) ? null
            : type.Type.IsNested && type.Type.DeclaringType is { } outer
            ? outer.Name.Replace("Api", "", StringComparison.Ordinal) + type.Type.Name
            : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
        options.AddSchemaTransformer(WireFormats.TransformAsync);
        options.AddOperationTransformer(DescribeOperationAsync);
        options.AddDocumentTransformer(DescribeDocumentAsync);
    });

    /// <summary>The document, and the reference UI reading it (public, like the document: it holds no data).</summary>
    public static void MapHourdiniOpenApi(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath).AllowAnonymous();

        // Scalar's page configures itself in an inline script and styles itself at run time: its script tags carry a fresh
        // nonce, and this page's policy allows exactly that (the app's own pages keep theirs). Fonts and scripts come from
        // this server, nothing from a CDN, and
        // its AI assistant and developer toolbar (which talk to scalar.com) are off.
        app.MapScalarApiReference(ReferencePath, options => options
                .WithTitle("Hourdini API")
                .WithOpenApiRoutePattern(DocumentPath)
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .HideDeveloperTools()
                .AddPreferredSecuritySchemes(Bearer)
                .WithNonce())
            .AllowAnonymous()
            .WithMetadata(new PagePolicy(context =>
                $"default-src 'self'; script-src 'self' 'nonce-{context.Items[ScalarOptions.NonceHttpContextItemKey]}'; " +
                "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
                "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"));
    }

    private static async Task DescribeDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Hourdini API",
            Version = "v1",
            Description =
                "The HTTP API of Hourdini, a time tracker for freelancers who work with AI agents. Bodies are JSON with snake_case " +
                "names; times are RFC 3339 UTC; durations are integer seconds; money is a number, or a string with 2 decimals " +
                "where it is computed (amounts, invoices). Every refusal is `application/problem+json` with a stable `code`. " +
                "Mutating requests accept an `Idempotency-Key` header: a retry with the same key and body returns the first " +
                "answer and changes nothing.",
        };
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/'); // the request's own address, e.g. http://127.0.0.1:5080
        }

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[nameof(Problem)] = await context.GetOrCreateSchemaAsync(typeof(Problem), null, ct);
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A personal access token (`hd_pat_live_…`, minted from a signed-in session with `POST /api/v1/tokens`) " +
                    "or an agent token (`hd_agt_live_…`, from `POST /api/v1/agents`), as `Authorization: Bearer …`.",
            },
            [Cookie] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Cookie,
                Name = "hourdini",
                Description = "The web session that `POST /api/v1/auth/signup` and `/auth/login` set. Changing requests from a browser " +
                    "must come from the same origin.",
            },
        };
        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
    }

    private static Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var method = description.HttpMethod ?? "GET";
        var mutating = !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method);
        var signedIn = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        var sources = description.ParameterDescriptions.Select(p => p.Source.Id).ToHashSet();
        var api = description.RelativePath?.StartsWith("api/v1/", StringComparison.Ordinal) == true;

        operation.Security = signedIn
            ? [Requirement(Bearer, context.Document), Requirement(Cookie, context.Document)]
            : [];
        if (metadata.OfType<AllowAgentsAttribute>().LastOrDefault() is { } agents)
        {
            operation.Description = Join(operation.Description, $"Agent tokens: {agents.Scope}.");
        }
        else if (signedIn)
        {
            operation.Description = Join(operation.Description, "Agent tokens: refused (403 `agent_not_allowed`).");
        }

        if (!api)
        {
            return Task.CompletedTask;
        }

        // What the middleware and the handlers' checks answer, whatever the endpoint (Problems.Describe).
        var refusals = new SortedDictionary<int, string>
        {
            [429] = "Rate limited (`rate_limited`), or too many failed sign-ins (`too_many_attempts`): retry after `Retry-After` seconds.",
            [503] = "The database or a node is unavailable (`storage_unavailable`, `service_unavailable`): retry after `Retry-After` seconds.",
        };
        var extra = metadata.OfType<RefusalMetadata>().Select(r => r.Status).ToHashSet();
        if (signedIn || extra.Contains(401))
        {
            refusals[401] = signedIn ? "No or bad credentials (`unauthorized`)." : "The email or password is wrong (`invalid_credentials`).";
        }

        if (signedIn)
        {
            refusals[403] = "Not allowed for this caller: role, token kind or agent scope (`forbidden`, `cookie_required`, `agent_not_allowed`, …).";
        }

        if (sources.Contains("Path") || sources.Contains("Body") || extra.Contains(404))
        {
            refusals[404] = "Unknown, or in another org (`not_found`): whether it exists elsewhere is never revealed.";
        }

        if (sources.Contains("Body"))
        {
            refusals[400] = "The body is not JSON of the right shape (`malformed_request`).";
        }

        if (sources.Count > 0 || mutating)
        {
            refusals[422] = "Bad input (`validation_failed` and more specific codes); the detail says which field and why." +
                (mutating ? " Also `idempotency_key_reused`: this Idempotency-Key came with another request." : "");
        }

        if (mutating)
        {
            refusals[409] = "A rule refuses the change (e.g. `timer_running`, `session_active`, `session_stopped`, `entry_locked`), " +
                "another change won (`concurrent_change`), or a request with this Idempotency-Key is still running (`idempotency_in_progress`).";
        }

        operation.Responses ??= new OpenApiResponses();
        foreach (var (status, text) in refusals)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!operation.Responses.TryGetValue(key, out var response) || response is not OpenApiResponse existing)
            {
                existing = new OpenApiResponse();
                operation.Responses[key] = existing;
            }

            existing.Description = text;
            existing.Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemType] = new() { Schema = new OpenApiSchemaReference(nameof(Problem), context.Document) },
            };
            if (status is 429 or 503 || (status == 409 && mutating))
            {
                existing.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader
                    {
                        Description = "Seconds to wait before retrying (on 409 only for `idempotency_in_progress`).",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    },
                };
            }
        }

        if (mutating)
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "Idempotency-Key",
                In = ParameterLocation.Header,
                Description = "Makes a retry safe: a request with the same key and body returns the first answer (with " +
                    "`Idempotent-Replayed: true`) and changes nothing. Scoped to the caller; 1 to 200 printable characters.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 200 },
            });
        }

        return Task.CompletedTask;
    }

    private static OpenApiSecurityRequirement Requirement(string scheme, OpenApiDocument? document) =>
        new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };

    private static string Join(string? first, string second) => string.IsNullOrEmpty(first) ? second : $"{first}\n\n{second}";
}

/// <summary>A refusal an endpoint answers beyond the shared rules (e.g. 404 when no timer runs, 401 for a wrong password).</summary>
public sealed record RefusalMetadata(int Status);
