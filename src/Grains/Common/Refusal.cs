namespace Hourdini.Grains.Common;

[GenerateSerializer, Alias("hd.RefusalKind")]
public enum RefusalKind
{
    /// <summary>The input cannot be accepted as it is (422).</summary>
    Invalid,

    /// <summary>The credentials given do not identify anyone (401).</summary>
    Unauthorized,

    /// <summary>Unknown, or belongs to someone the caller cannot see (404).</summary>
    NotFound,

    /// <summary>The caller may not do this (403).</summary>
    Forbidden,

    /// <summary>A rule in PRODUCT.md refuses the change (409).</summary>
    Conflict,

    /// <summary>Too many attempts; the answer says when to try again (429 with <c>Retry-After</c>).</summary>
    TooManyAttempts,
}

/// <summary>
/// The one error type for every refusal the product makes. <see cref="Code"/> is the stable,
/// machine-readable code clients switch on; the gateway maps the kind to an HTTP status in one place.
/// </summary>
/// <remarks>It crosses grain calls (Orleans serializes it with its kind and code), so a silo's refusal reaches the gateway whole.</remarks>
[GenerateSerializer, Alias("hd.Refusal")]
public sealed class Refusal(RefusalKind kind, string code, string detail) : Exception(detail)
{
    [Id(0)]
    public RefusalKind Kind { get; private set; } = kind;

    [Id(1)]
    public string Code { get; private set; } = code;

    public static Refusal Invalid(string detail, string code = "validation_failed") => new(RefusalKind.Invalid, code, detail);

    /// <summary>The request field the refusal is about (problem details' <c>field</c>), so a form can say it next to that field.</summary>
    [Id(3)]
    public string? Field { get; private set; }

    /// <summary>This refusal, about the request field <paramref name="field"/>.</summary>
    public Refusal About(string field)
    {
        Field = field;
        return this;
    }

    public static Refusal Unauthorized(string code, string detail) => new(RefusalKind.Unauthorized, code, detail);

    public static Refusal NotFound(string what) => new(RefusalKind.NotFound, "not_found", $"{what} was not found.");

    public static Refusal Forbidden(string detail, string code = "forbidden") => new(RefusalKind.Forbidden, code, detail);

    public static Refusal Conflict(string code, string detail) => new(RefusalKind.Conflict, code, detail);

    /// <summary>When the client may try again (<c>Retry-After</c>), for <see cref="RefusalKind.TooManyAttempts"/>.</summary>
    [Id(2)]
    public int? RetryAfterSeconds { get; private set; }

    public static Refusal TooManyAttempts(string code, string detail, int retryAfterSeconds) =>
        new(RefusalKind.TooManyAttempts, code, detail) { RetryAfterSeconds = retryAfterSeconds };
}
