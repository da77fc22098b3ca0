using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hourdini.Web.Tests;

/// <summary>
/// Issue 28, item 1: the API reference (Scalar, at /docs) is public, renders the served document in a real browser, and
/// runs under a Content-Security-Policy: its scripts carry a per-request nonce, nothing comes from another origin, and
/// the console stays free of violations.
/// </summary>
public sealed class ApiReferenceTests(Browser browser) : IClassFixture<Browser>
{
    [Fact]
    public async Task The_API_reference_renders_the_document_under_its_content_security_policy_with_no_console_error()
    {
        var (page, errors) = await browser.NewPageAsync();
        var outside = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(browser.Server.BaseAddress.ToString(), StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                lock (outside)
                {
                    outside.Add(request.Url);
                }
            }
        };

        var response = await page.GotoAsync("/docs");

        Assert.Equal(200, response!.Status);
        var policy = (await response.AllHeadersAsync())["content-security-policy"];
        Assert.Matches("script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}'", policy);
        Assert.DoesNotContain("unsafe-eval", policy);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hourdini API" })).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(page.GetByText("Sign up: a new person and their org").First).ToBeVisibleAsync();
        await page.GetByText("Sessions", new() { Exact = true }).First.ClickAsync();
        await Expect(page.GetByText("Start a session").First).ToBeVisibleAsync();
        await Screenshots.SaveAsync(page, "api-reference");
        Assert.True(errors.Count == 0, string.Join('\n', errors));
        Assert.Empty(outside);

        // Another visit gets another nonce: a fixed one would defeat the policy.
        var again = await page.GotoAsync("/docs");
        Assert.NotEqual(policy, (await again!.AllHeadersAsync())["content-security-policy"]);
    }
}
