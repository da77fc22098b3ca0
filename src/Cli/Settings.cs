using System.Text.Json;

namespace Hourdini.Cli;

/// <summary>
/// Where the CLI finds its server and token: <c>--url</c> / <c>HOURDINI_URL</c> / the saved login, and
/// <c>HOURDINI_TOKEN</c> / the saved login. <c>hourdini login</c> saves both in
/// <c>$XDG_CONFIG_HOME/hourdini/config.json</c> (by default <c>~/.config/hourdini/config.json</c>), readable by the user only.
/// </summary>
public sealed record Settings(string? Url, string? Token)
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static string FilePath
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            return Path.Combine(root, "hourdini", "config.json");
        }
    }

    public static Settings Load()
    {
        try
        {
            return File.Exists(FilePath)
                ? JsonSerializer.Deserialize<Settings>(File.ReadAllText(FilePath), Json) ?? new Settings(null, null)
                : new Settings(null, null);
        }
        catch (JsonException)
        {
            return new Settings(null, null);
        }
    }

    /// <summary>Writes the file; a config directory that cannot be written is one line naming it (exit 5), and what to do instead.</summary>
    public void Save()
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            var temp = FilePath + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // the token is a secret
            }

            using (var file = new FileStream(temp, options))
            {
                JsonSerializer.Serialize(file, this, Json);
            }

            File.Move(temp, FilePath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.LocalFile(e, FilePath, "save the login to",
                "Set XDG_CONFIG_HOME to a directory you can write, or use HOURDINI_URL and HOURDINI_TOKEN instead of a saved login.");
        }
    }

    /// <summary>The server to talk to: the option, then the environment, then the saved login, then the local default.</summary>
    public static Uri ResolveUrl(string? option)
    {
        var text = option ?? Environment.GetEnvironmentVariable("HOURDINI_URL") ?? Load().Url ?? DefaultUrl;
        return HttpUrl(text) ?? throw new CliException($"'{text}' is not an http(s) URL; give one like {DefaultUrl}.", CliException.InvalidUrlCode);
    }

    /// <summary>An absolute http or https address (with a trailing slash, for relative paths), or null.</summary>
    public static Uri? HttpUrl(string text) =>
        Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url : null;

    public static string ResolveToken() =>
        Environment.GetEnvironmentVariable("HOURDINI_TOKEN") is { Length: > 0 } token
            ? token
            : Load().Token ?? throw new CliException("No token: set HOURDINI_TOKEN or run 'hourdini login --with-token'.", "no_token");

    /// <summary>Forgets the saved token (the server stays saved).</summary>
    public static void ForgetToken()
    {
        var saved = Load();
        if (saved.Token is not null)
        {
            (saved with { Token = null }).Save();
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}

/// <summary>A failure the CLI explains to the user in one line, instead of a stack trace.</summary>
public sealed class CliException(string message, string? code = null, int status = 0) : Exception(message)
{
    public string? Code { get; } = code;

    /// <summary>The HTTP status the server answered with, 0 when there was no answer.</summary>
    public int Status { get; } = status;

    /// <summary>
    /// The process's exit code: 3 when the credentials are missing or refused (sign in again), 4 when the server could
    /// not be reached or answered 5xx (try again later), 5 when a file on this computer could not be read or written (the
    /// server may have done its part), 1 for any other refusal. A command line the parser cannot take exits 2
    /// (<see cref="Commands.Usage"/>), and so does an address from HOURDINI_URL or the saved login that is not one: the
    /// same mistake as a bad <c>--url</c>.
    /// </summary>
    public int ExitCode =>
        Code is InvalidUrlCode && Status == 0 ? 2
        : Status == 401 || Code is "no_token" ? 3
        : Status >= 500 || Code == "server_unreachable" ? 4
        : Code is LocalFileCode or "file_not_found" ? 5
        : 1;

    public const string LocalFileCode = "local_file";

    public const string InvalidUrlCode = "invalid_url";

    /// <summary>
    /// A file on this computer that could not be read or written, in one line that names it and says why, instead of a
    /// stack trace: <paramref name="doing"/> is what was tried ("write", "save the login to").
    /// </summary>
    public static CliException LocalFile(Exception e, string path, string doing, string? advice = null)
    {
        var full = Path.GetFullPath(path);
        var why = e switch
        {
            UnauthorizedAccessException when Directory.Exists(full) => "it is a directory; give a file's name",
            UnauthorizedAccessException => "permission denied",
            FileNotFoundException => "there is no such file",
            DirectoryNotFoundException => $"the directory {Path.GetDirectoryName(full)} does not exist",
            _ => e.Message.TrimEnd('.'),
        };
        return new CliException($"Cannot {doing} {full}: {why}." + (advice is null ? "" : " " + advice), LocalFileCode);
    }
}
