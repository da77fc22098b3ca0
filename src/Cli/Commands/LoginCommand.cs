using System.CommandLine;
using Spectre.Console;

namespace Hourdini.Cli.Commands;

/// <summary><c>hourdini login</c>: checks a token against the server and saves both for later commands.</summary>
public static class LoginCommand
{
    public static Command Create(CommonOptions common)
    {
        var token = new Option<string?>("--token") { Description = "A personal access token (hd_pat_live_…) or agent token; better: --with-token. Default HOURDINI_TOKEN, else asked for." };
        var withToken = new Option<bool>("--with-token") { Description = "Read the token from standard input (e.g. from a password manager), so it stays out of your shell history." };
        var command = new Command("login", "Check a token against a Hourdini server and save the server and token in your config directory.") { token, withToken };
        command.SetAction(async (parse, ct) => await CommonOptions.RunAsync(async () =>
        {
            var url = Settings.ResolveUrl(parse.GetValue(common.Url));
            var secret = parse.GetValue(withToken) ? await Console.In.ReadLineAsync(ct) : parse.GetValue(token) ?? Environment.GetEnvironmentVariable("HOURDINI_TOKEN");
            if (string.IsNullOrWhiteSpace(secret))
            {
                secret = Console.IsInputRedirected
                    ? throw new CliException("No token on standard input: pipe one in with --with-token, or set HOURDINI_TOKEN.", "no_token")
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

    /// <summary><c>hourdini whoami</c>: who the saved (or given) token is, and where.</summary>
    public static Command WhoAmI(CommonOptions common)
    {
        var command = new Command("whoami", "Show who the token signs in as, and in which org.");
        Uri? url = null;
        common.Action(command, (parse, api, ct) =>
        {
            url = Settings.ResolveUrl(parse.GetValue(common.Url));
            return api.GetAsync("me", ct);
        }, me =>
        {
            var who = me.TryGetProperty("agent", out var a) && a.ValueKind == System.Text.Json.JsonValueKind.Object
                ? $"agent {Output.Str(a, "name")} of {Output.Str(me.GetProperty("user"), "name")}"
                : $"{Output.Str(me.GetProperty("user"), "name")} <{Output.Str(me.GetProperty("user"), "email")}>";
            Output.Line($"{who} in {Output.Str(me.GetProperty("org"), "name")} ({Output.Str(me, "role")}) at {url}");
        });
        return command;
    }

    /// <summary><c>hourdini logout</c>: forgets the saved token on this computer (revoke it in the web app to end it everywhere).</summary>
    public static Command Logout()
    {
        var command = new Command("logout", "Forget the saved token on this computer.");
        command.SetAction(async (_, _) => await CommonOptions.RunAsync(() =>
        {
            Settings.ForgetToken();
            Output.Line("Logged out: the token is no longer saved here. Revoke it under API tokens in the web app to end it everywhere.");
            return Task.CompletedTask;
        }));
        return command;
    }
}
