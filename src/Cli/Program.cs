using System.CommandLine;
using Hourdini.Cli.Commands;

// hourdini: the everyday calls from a terminal, and an MCP stdio bridge for desktop agents.
var root = new RootCommand("Hourdini from the terminal: timers, sessions, entries, reports, invoices, budgets and webhooks, and an MCP bridge for desktop agents.");
var common = new CommonOptions();
root.Options.Add(common.Url);
root.Options.Add(common.Format);
root.Options.Add(common.Json);
root.Subcommands.Add(LoginCommand.Create(common));
root.Subcommands.Add(LoginCommand.WhoAmI(common));
root.Subcommands.Add(LoginCommand.Logout());
root.Subcommands.Add(CatalogCommands.Projects(common));
root.Subcommands.Add(CatalogCommands.Clients(common));
root.Subcommands.Add(TimerCommands.Create(common));
root.Subcommands.Add(SessionCommands.Create(common));
root.Subcommands.Add(EntriesCommand.Create(common));
root.Subcommands.Add(ImportCommand.Create(common));
root.Subcommands.Add(ReportCommand.Create(common));
root.Subcommands.Add(InvoiceCommands.Create(common));
root.Subcommands.Add(BudgetCommands.Create(common));
root.Subcommands.Add(WebhookCommands.Create(common));
root.Subcommands.Add(McpCommand.Create(common));
root.Subcommands.Add(CompletionCommand.Create());
Usage.HelpForGroups(root);
return await Usage.RunAsync(root, args);
