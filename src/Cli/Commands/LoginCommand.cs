using System.CommandLine;
using Spectre.Console;

namespace Hourdini.Cli.Commands;

/// <summary><c>hourdini login</c>: checks a token against the server and saves both for later commands.</summary>
public static class LoginCommand
{
    public static Command Create(CommonOptions common)
    {
        var token = new Option<string?>("--token") { Description = "A personal access token (hd_pat_live_…) or agent token; default HOURDINI_TOKEN, else asked for." };
        var command = new Command("login", "Check a token against a Hourdini server and save the server and token in your config directory.") { token };
        command.SetAction(async (parse, ct) => await CommonOptions.RunAsync(async () =>
        {
            var url = Settings.ResolveUrl(parse.GetValue(common.Url));
            var secret = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("HOURDINI_TOKEN");
            if (string.IsNullOrWhiteSpace(secret))
            {
                secret = Console.IsInputRedirected
                    ? throw new CliException("Give --token or set HOURDINI_TOKEN.")
                    : AnsiConsole.Prompt(new TextPrompt<string>("Token:").Secret());
            }

            using var api = new HourdiniApi(url, secret.Trim());
            var me = await api.GetAsync("me", ct);
            new Settings(url.ToString().TrimEnd('/'), secret.Trim()).Save();
            // An agent token is told its own name: the API does not show an agent its person's email (R22).
            var user = me.TryGetProperty("agent", out var a) && a.ValueKind == System.Text.Json.JsonValueKind.Object
                ? $"agent {Output.Str(a, "name")}"
                : me.TryGetProperty("user", out var u) ? Output.Str(u, "email") : "";
            var org = me.TryGetProperty("org", out var o) ? Output.Str(o, "name") : "";
            Output.Line($"Logged in to {url} as {user} ({org}). Saved to {Settings.FilePath}.");
        }));
        return command;
    }
}
