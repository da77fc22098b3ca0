using Hourdini.Testing;
using Microsoft.Playwright;

namespace Hourdini.Web.Tests;

/// <summary>
/// A real server over real PostgreSQL, and Debian's Chromium driven by Playwright (its own browser
/// download cannot work on these machines). One per test class.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public HourdiniServer Server { get; } = new();

    public IBrowser Chromium { get; private set; } = null!;

    private IPlaywright? _playwright;

    public async Task InitializeAsync()
    {
        Server.Settings["Hourdini:Webhooks:AllowLoopback"] = "true"; // the tests' webhook receivers listen on loopback
        Server.Settings["Hourdini:Webhooks:PauseAfter"] = "2"; // a receiver nobody listens on is paused within a test
        await Server.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        Chromium = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // As root, without network: no sandbox, and none of Chromium's own calls home.
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
    }

    /// <summary>A fresh browser profile (no cookies) in a fixed time zone, with every console error and page error kept.</summary>
    public async Task<(IPage Page, List<string> Errors)> NewPageAsync(string timezone = "Europe/Berlin")
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString().TrimEnd('/'),
            TimezoneId = timezone,
            Locale = "en-US",
            ViewportSize = new ViewportSize { Width = 1360, Height = 900 },
        });
        context.SetDefaultTimeout(10_000);

        // Assertions wait as long as actions do (Playwright's own default is 5 s): with the whole suite on 2 cores, a page
        // can take longer than that to settle.
        Assertions.SetDefaultExpectTimeout(10_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            // A warning that a form field was given a value it cannot hold (a colour input set to "", say) is the page's
            // bug too, so it counts as an error.
            if (message.Type == "error" || (message.Type == "warning" && message.Text.Contains("does not conform to the required format")))
            {
                lock (errors)
                {
                    errors.Add($"console: {message.Text} ({page.Url})");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add($"page error: {error} ({page.Url})");
            }
        };
        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync(); // "End this session?" and the like: yes
        return (page, errors);
    }

    /// <summary>Signs a new user up through the app's own form; the page ends on Today.</summary>
    public static async Task<string> SignUpAsync(IPage page, string name = "Ada Freelance")
    {
        var email = $"web-{Guid.NewGuid():N}@example.com";
        await page.GotoAsync("/signup");
        await page.GetByLabel("Your name").FillAsync(name);
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync("correct horse battery");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Today", Exact = true })).ToBeVisibleAsync();
        return email;
    }

    /// <summary>Mints a personal access token on the tokens page and returns its secret, shown once.</summary>
    public static async Task<string> MintTokenAsync(IPage page, string name)
    {
        await page.GotoAsync("/settings/tokens");
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-secret]")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^hd_pat_live_"));
        return (await page.Locator("[data-secret]").TextContentAsync())!;
    }

    public async Task DisposeAsync()
    {
        if (Chromium is not null)
        {
            await Chromium.CloseAsync();
        }

        _playwright?.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>Screenshots the tests save: under artifacts/screenshots at the repository's root (or $HOURDINI_ARTIFACTS).</summary>
public static class Screenshots
{
    public static string Directory { get; } = Locate();

    public static Task SaveAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Directory, name + ".png"), FullPage = false });

    private static string Locate()
    {
        var root = Environment.GetEnvironmentVariable("HOURDINI_ARTIFACTS");
        if (root is null)
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hourdini.sln")))
            {
                dir = dir.Parent;
            }

            root = Path.Combine(dir?.FullName ?? Path.GetTempPath(), "artifacts");
        }

        var path = Path.Combine(root, "screenshots");
        System.IO.Directory.CreateDirectory(path);
        return path;
    }
}
