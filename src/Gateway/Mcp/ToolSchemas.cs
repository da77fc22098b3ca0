using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Server;

namespace Hourdini.Gateway.Mcp;

/// <summary>
/// The tools as clients see them. Input schemas come from the methods of <see cref="HourdiniTools"/> (their
/// <c>[Description]</c>s and data annotations: <c>AllowedValues</c> becomes <c>enum</c>, <c>Range</c> minimum and maximum,
/// <c>MaxLength</c> maxLength, <c>DataType.DateTime</c> <c>format: date-time</c>), made portable: every root refuses
/// unknown arguments (<c>additionalProperties: false</c>) and an optional argument has one type, never <c>["string","null"]</c>,
/// which some model providers and MCP Inspector's strict mode reject. Output schemas describe each tool's
/// <c>structuredContent</c> (the API's JSON body, with <c>project_name</c> beside every <c>project_id</c>).
/// </summary>
public static class ToolSchemas
{
    /// <summary>One type per argument (absent means "not given"), no <c>default: null</c>, and a typed <c>environment</c>.</summary>
    private static JsonNode Portable(AIJsonSchemaCreateContext context, JsonNode schema)
    {
        if (context.TypeInfo.Type == typeof(JsonElement?) || context.TypeInfo.Type == typeof(JsonElement))
        {
            return Environment.DeepClone();
        }

        if (schema is not JsonObject node)
        {
            return schema;
        }

        if (node["type"] is JsonArray types && types.Count == 2 && types.Any(t => t?.GetValue<string>() == "null"))
        {
            node["type"] = types.First(t => t?.GetValue<string>() != "null")!.GetValue<string>();
        }

        if (node.TryGetPropertyValue("default", out var value) && value is null)
        {
            node.Remove("default");
        }

        // enum, for a closed set, needs no type of its own beside it; a null in it is the nullable's "not given".
        if (node["enum"] is JsonArray values && values.Any(v => v is null))
        {
            node["enum"] = new JsonArray(values.Where(v => v is not null).Select(v => v!.DeepClone()).ToArray());
        }

        return node;
    }

    /// <summary>R12: what a client says about where it runs; the known facts are named, any other string, number or flag is kept.</summary>
    private static readonly JsonObject Environment = new()
    {
        ["type"] = "object",
        ["description"] = "Optional facts about where you run, at most 8 KB, e.g. {\"client\": \"claude-code\", \"model\": \"…\", \"os\": \"linux\"}.",
        ["properties"] = new JsonObject
        {
            ["client"] = Str("The program you run in, e.g. \"claude-code\" or \"cursor\"."),
            ["client_version"] = Str("Its version."),
            ["model"] = Str("The model you are."),
            ["os"] = Str("The operating system, e.g. \"linux\"."),
            ["repository"] = Str("The repository you work in."),
            ["branch"] = Str("The branch you work on."),
        },
        ["additionalProperties"] = Str("Any other fact, as text."),
    };

    // ---- Output schemas: what structuredContent holds for each tool. Nullable fields are anyOf [T, null]. ----

    private static JsonObject Str(string? description = null, string? format = null)
    {
        var node = new JsonObject { ["type"] = "string" };
        if (format is not null)
        {
            node["format"] = format;
        }

        if (description is not null)
        {
            node["description"] = description;
        }

        return node;
    }

    private static JsonObject Type(string type) => new() { ["type"] = type };

    private static JsonObject Described(JsonObject schema, string description)
    {
        schema["description"] = description;
        return schema;
    }

    private static JsonObject Time() => Str(format: "date-time");

    private static JsonObject Enum(params string[] values) => new() { ["type"] = "string", ["enum"] = new JsonArray(values.Select(v => (JsonNode)v).ToArray()) };

    private static JsonObject OrNull(JsonNode schema) => new() { ["anyOf"] = new JsonArray(schema.DeepClone(), Type("null")) };

    private static JsonObject Array(JsonNode items) => new() { ["type"] = "array", ["items"] = items.DeepClone() };

    private static JsonObject Obj(params (string Name, JsonNode Schema, bool Required)[] properties) => new()
    {
        ["type"] = "object",
        ["properties"] = new JsonObject(properties.Select(p => KeyValuePair.Create(p.Name, (JsonNode?)p.Schema.DeepClone()))),
        ["required"] = new JsonArray(properties.Where(p => p.Required).Select(p => (JsonNode)p.Name).ToArray()),
    };

    private static readonly JsonObject Totals = Obj(
        ("active_seconds", Type("integer"), true), ("agent_seconds", Type("integer"), true), ("idle_seconds", Type("integer"), true),
        ("billable_seconds", Type("integer"), true));

    private static readonly JsonObject Beat = Obj(("kind", Enum("active", "agent", "idle"), true), ("since", Time(), true));

    private static readonly JsonObject Session = Obj(
        ("id", Str(), true), ("project_id", Str(), true), ("project_name", Str("The project's name."), true), ("description", Type("string"), true),
        ("status", Enum("started", "logging", "stopped"), true), ("current_beat", OrNull(Beat), true), ("started_at", Time(), true),
        ("stopped_at", OrNull(Time()), true), ("totals", Totals, true), ("bill_agent_time", Type("boolean"), true),
        ("beats", Array(Obj(("kind", Enum("active", "agent", "idle"), true), ("started_at", Time(), true), ("ended_at", OrNull(Time()), true))), false));

    private static readonly JsonObject Entry = Obj(
        ("id", Str(), true), ("project_id", Str(), true), ("project_name", Str("The project's name."), true),
        ("source", Enum("timer", "session", "manual", "import"), true), ("description", Type("string"), true), ("started_at", Time(), true),
        ("ended_at", Time(), true), ("duration_seconds", Type("integer"), true), ("billable", Type("boolean"), true),
        ("tags", Array(Type("string")), true), ("session_id", OrNull(Str()), false));

    private static readonly JsonObject TaskView = Obj(
        ("id", Str(), true), ("project_id", Str(), true), ("project_name", Str("The project's name."), true), ("title", Type("string"), true),
        ("status", Enum("open", "in_progress", "done"), true), ("assignee_agent_id", OrNull(Str()), true), ("updated_at", Time(), true));

    private static readonly JsonObject Message = Obj(("id", Str(), true), ("text", Type("string"), true), ("created_at", Time(), true));

    private static readonly JsonObject Event = Obj(("seq", Type("integer"), true), ("type", Type("string"), true), ("at", Time(), true), ("data", Type("object"), true));

    private static readonly JsonObject Timer = Obj(
        ("id", Str(), true), ("project_id", Str(), true), ("project_name", Str("The project's name."), true), ("description", Type("string"), true),
        ("started_at", Time(), true), ("elapsed_seconds", Type("integer"), true));

    private static readonly JsonObject Project = Obj(
        ("id", Str(), true), ("name", Type("string"), true), ("bill_agent_time", Type("boolean"), true), ("client_name", Type("string"), false),
        ("rate", OrNull(Type("number")), false), ("currency", Type("string"), false), ("archived", Type("boolean"), false));

    private static readonly JsonObject Budget = Described(
        OrNull(Obj(
            ("kind", Enum("hours", "money"), true),
            ("limit", Described(OrNull(Type("number")), "The limit, in hours or money; null for an agent when the budget is in money (R22: an agent sees no amounts)."), true),
            ("warn_percent", Type("integer"), true), ("critical_percent", Type("integer"), true),
            ("currency", Str("The client's currency, which a budget in money counts in."), true),
            ("used", Described(OrNull(Str()), "Hours or money used so far, with 2 decimals, e.g. \"12.50\"; null for an agent when the budget is in money."), true),
            ("used_percent", Type("number"), true), ("status", Enum("ok", "warn", "critical"), true))),
        "The project's budget and how much of it is used, or null when it has none.");

    private static readonly JsonObject Updates = Obj(("tasks", Array(TaskView), true), ("messages", Array(Message), true));

    private static readonly JsonObject NextCursor = OrNull(Str("Pass back as cursor for the next page; null on the last page."));

    private static readonly Dictionary<string, JsonObject> Outputs = new()
    {
        ["session_start"] = Obj(("session", Session, true), ("stopped_timer_entry", OrNull(Entry), true), ("updates", OrNull(Updates), true), ("budget", Budget, true)),
        ["session_beat"] = Obj(("session", Session, true)),
        ["session_log"] = Obj(("event", Event, true)),
        ["session_end"] = Obj(("session", Session, true), ("entry", OrNull(Entry), true)),
        ["session_get"] = Obj(("session", Session, true)),
        ["list_sessions"] = Obj(("sessions", Array(Session), true), ("next_cursor", NextCursor, true)),
        ["session_timeline"] = Obj(("events", Array(Event), true), ("next_after", OrNull(Type("integer")), true)),
        ["pull_updates"] = Obj(("tasks", Array(TaskView), true), ("messages", Array(Message), true), ("budget", Budget, true)),
        ["task_update"] = Obj(("task", TaskView, true)),
        ["timer_start"] = Obj(("timer", Timer, true), ("replaced_entry", OrNull(Entry), true)),
        ["timer_stop"] = Obj(("entry", Entry, true)),
        ["timer_get"] = Obj(("timer", OrNull(Timer), true)),
        ["log_time"] = Obj(("time_entry", Entry, true)),
        ["list_projects"] = Obj(("projects", Array(Project), true), ("next_cursor", NextCursor, true)),
        ["list_entries"] = Obj(("time_entries", Array(Entry), true), ("next_cursor", NextCursor, true)),
        ["report_summary"] = Obj(
            ("group_by", Type("string"), true), ("tz", Type("string"), true), ("groups", Array(Type("object")), true), ("totals", Array(Type("object")), true)),
    };

    // Last: the tools are made from everything above (static fields initialise in order).
    public static McpServerTool[] Tools { get; } = typeof(HourdiniTools)
        .GetMethods(BindingFlags.Public | BindingFlags.Instance)
        .Where(method => method.GetCustomAttribute<McpServerToolAttribute>() is not null)
        .Select(method => McpServerTool.Create(
            method,
            context => new HourdiniTools(context.Services.Http()),
            new McpServerToolCreateOptions
            {
                SchemaCreateOptions = new AIJsonSchemaCreateOptions
                {
                    TransformSchemaNode = Portable,
                    TransformOptions = new AIJsonSchemaTransformOptions { DisallowAdditionalProperties = true },
                },
                OutputSchema = Outputs[method.GetCustomAttribute<McpServerToolAttribute>()!.Name!].Deserialize<JsonElement>(),
            }))
        .ToArray();

    public static IReadOnlyDictionary<string, McpServerTool> ByName { get; } = Tools.ToDictionary(t => t.ProtocolTool.Name);
}
