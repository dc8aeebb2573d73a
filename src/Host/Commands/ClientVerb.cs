using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Wallet.Client;
using Wallet.Engine.Ledger;
using Wallet.Host.Configuration;

namespace Wallet.Host.Commands;

/// <summary>
/// What every client verb shares: where the engine is, who we are, where the ledger list comes from, and how
/// outcomes become exit codes. The password comes from --password or the WALLET_PASSWORD environment variable.
/// </summary>
internal sealed class ClientVerb
{
    public Option<string> Host { get; } = new("--host") { Description = "Gateway address", DefaultValueFactory = _ => "127.0.0.1" };
    public Option<int> Port { get; } = new("--port") { Description = "Gateway port", DefaultValueFactory = _ => 7400 };
    public Option<string> User { get; } = new("--user") { Description = "Client id (default: WALLET_USER, else admin)" };
    public Option<string> Password { get; } = new("--password") { Description = "Credential (default: WALLET_PASSWORD)" };
    public Option<FileInfo?> Config { get; } = new("--config") { Description = "Settings file with the Ledger section (default: the serve defaults)" };
    public Option<bool> Json { get; } = new("--json") { Description = "Machine-readable output (amounts are decimal strings)" };
    public Option<int> TimeoutMs { get; } = new("--timeout-ms") { Description = "Request timeout", DefaultValueFactory = _ => 10_000 };

    public void AddTo(Command command)
    {
        command.Options.Add(Host);
        command.Options.Add(Port);
        command.Options.Add(User);
        command.Options.Add(Password);
        command.Options.Add(Config);
        command.Options.Add(Json);
        command.Options.Add(TimeoutMs);
    }

    /// <summary>The ledgers (codes, symbols, scales) the server is configured with, read from the same settings file.</summary>
    public LedgerCatalog LoadCatalog(ParseResult parse)
    {
        IConfigurationRoot config = ServeCommand.BuildConfiguration(parse.GetValue(Config), null, null, []);
        return ServeSettings.LoadLedger(config.GetSection("Ledger")).Catalog;
    }

    public static LedgerDefinition ResolveLedger(LedgerCatalog catalog, string text)
    {
        if (catalog.TryGetBySymbol(text.ToUpperInvariant(), out LedgerDefinition byName)) return byName;
        if (uint.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint code)
            && catalog.TryGet(code, out LedgerDefinition byCode))
            return byCode;
        var known = new List<string>();
        foreach (LedgerDefinition d in catalog.Definitions) known.Add($"{d.Symbol} ({d.Code})");
        throw new CliUsageException($"unknown ledger '{text}'; configured: {string.Join(", ", known)}");
    }

    public async Task<int> RunAsync(ParseResult parse, Func<WalletClient, LedgerCatalog, Task<int>> body)
    {
        LedgerCatalog catalog;
        try
        {
            catalog = LoadCatalog(parse);
        }
        catch (Exception ex) when (ex is SettingsException or FileNotFoundException or InvalidDataException or FormatException)
        {
            Console.Error.WriteLine($"wallet: {ex.Message}");
            return ExitCodes.InvalidConfiguration;
        }

        string user = parse.GetValue(User) ?? Environment.GetEnvironmentVariable("WALLET_USER") ?? "admin";
        string? password = parse.GetValue(Password) ?? Environment.GetEnvironmentVariable("WALLET_PASSWORD");
        if (string.IsNullOrEmpty(password))
        {
            Console.Error.WriteLine("wallet: no credential: pass --password or set WALLET_PASSWORD");
            return ExitCodes.InvalidConfiguration;
        }
        var options = new WalletClientOptions
        {
            Host = parse.GetValue(Host)!,
            Port = parse.GetValue(Port),
            ClientId = user,
            Credential = password,
            RequestTimeoutMs = parse.GetValue(TimeoutMs),
            ReconnectAttempts = 1,
        };
        WalletClient client;
        try
        {
            client = await WalletClient.ConnectAsync(options).ConfigureAwait(false);
        }
        catch (WalletLogonException ex)
        {
            Console.Error.WriteLine($"wallet: logon refused: {ex.Message}");
            return ExitCodes.Unavailable;
        }
        catch (Exception ex) when (ex is WalletConnectionException or System.Net.Sockets.SocketException or TimeoutException or IOException)
        {
            Console.Error.WriteLine($"wallet: cannot reach {options.Host}:{options.Port}: {ex.Message}");
            return ExitCodes.Unavailable;
        }
        await using (client.ConfigureAwait(false))
        {
            try
            {
                return await body(client, catalog).ConfigureAwait(false);
            }
            catch (CliUsageException ex)
            {
                Console.Error.WriteLine($"wallet: {ex.Message}");
                return ExitCodes.InvalidConfiguration;
            }
            catch (WalletRejectedException ex)
            {
                Console.Error.WriteLine($"wallet: rejected: {ex.Message}");
                return ExitCodes.Rejected;
            }
            catch (Exception ex) when (ex is WalletBusyException or WalletConnectionException or TimeoutException or IOException)
            {
                Console.Error.WriteLine($"wallet: {ex.Message}");
                return ExitCodes.Unavailable;
            }
        }
    }
}
