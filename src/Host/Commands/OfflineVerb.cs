using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Wallet.Engine.Audit;
using Wallet.Engine.Ledger;
using Wallet.Engine.ReadModel;
using Wallet.Host.Configuration;

namespace Wallet.Host.Commands;

/// <summary>
/// What the data-directory verbs share (history, balance, audit, readmodel): which data directory, which settings
/// file (for the ledger definitions the journal was written with), --json, and parsing of <c>--at</c>. They read
/// files only — never the network — so they also work on a backup, and on a live node's directory (journals and
/// the read model are opened read-only).
/// </summary>
internal sealed class OfflineVerb
{
    public Option<string?> DataDir { get; } = new("--data-dir") { Description = "Data directory (default: DataDirectory from the settings, ./data)" };
    public Option<FileInfo?> Config { get; } = new("--config") { Description = "Settings file (the Ledger section must match the one the data was written with)" };
    public Option<bool> Json { get; } = new("--json") { Description = "Machine-readable output on stdout (progress goes to stderr)" };

    public void AddTo(Command command)
    {
        command.Options.Add(DataDir);
        command.Options.Add(Config);
        command.Options.Add(Json);
    }

    public sealed record Settings(string DataDirectory, LedgerOptions Ledger, string ReadModelDirectory);

    public Settings Load(ParseResult parse)
    {
        IConfigurationRoot config = ServeCommand.BuildConfiguration(parse.GetValue(Config), parse.GetValue(DataDir), null, []);
        string dataDirectory = Path.GetFullPath(SettingsReader.String(config, "DataDirectory", "./data"));
        LedgerOptions ledger = ServeSettings.LoadLedger(config.GetSection("Ledger"));
        ApiSettings api = ApiSettings.Load(config, dataDirectory);
        if (!Directory.Exists(dataDirectory)) throw new CliUsageException($"data directory '{dataDirectory}' does not exist");
        // A node's root with several partitions holds no journals of its own: each partition is a data directory.
        string map = Path.Combine(dataDirectory, Partitions.PartitionMapFile.FileName);
        if (File.Exists(map) && Partitions.PartitionMapFile.Read(map).PartitionCount is int count and > 1)
            throw new CliUsageException($"'{dataDirectory}' is a node's data directory with {count} partitions: give one partition's directory, --data-dir {Path.Combine(dataDirectory, "p0")} … {Path.Combine(dataDirectory, Partitions.PartitionLayout.SubdirectoryName(count - 1))}");
        return new Settings(dataDirectory, ledger, api.ReadModelDirectory);
    }

    /// <summary>Runs <paramref name="body"/>, turning configuration and usage errors into messages and exit codes.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body, string verb)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SettingsException or CliUsageException or FormatException)
        {
            Console.Error.WriteLine($"wallet {verb}: {ex.Message}");
            return ExitCodes.InvalidConfiguration;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or RocksDbSharp.RocksDbException or InvalidOperationException or InvalidDataException)
        {
            Console.Error.WriteLine($"wallet {verb}: {ex.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary><c>--at</c>: digits = a log index; otherwise an RFC 3339 instant (e.g. 2026-11-26T14:00:00Z).</summary>
    public static ReplayTarget ParseAt(string text)
    {
        if (text.Length > 0 && text.Length <= 19 && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long index))
            return ReplayTarget.AtIndex(index);
        // Digits are an index (above); otherwise the HTTP API's strict RFC 3339 reader (exact ns, range-checked).
        if (!IsDigits(text) && Wallet.Gateway.Http.QueryText.TryParseTime("--at", text, out long ns, out _))
            return ReplayTarget.AtTime(ns);
        throw new CliUsageException($"--at '{text}' is neither a log index nor an RFC 3339 time (e.g. 2026-11-26T14:00:00Z)");
    }

    private static bool IsDigits(string text)
    {
        foreach (char c in text) if (c is < '0' or > '9') return false;
        return text.Length > 0;
    }

    public static string Describe(ReplayTarget target) =>
        target.Index != long.MaxValue ? $"index {target.Index}" : target.TimestampNs != long.MaxValue ? $"time {FormatTime(target.TimestampNs)}" : "the end of the log";

    public static string FormatTime(long ns) =>
        new DateTime(DateTime.UnixEpoch.Ticks + ns / 100, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static (string Symbol, byte Scale) CurrencyOf(LedgerCatalog catalog, uint ledger) =>
        catalog.TryGet(ledger, out LedgerDefinition? d) ? (d!.Symbol, d.Scale) : (ledger.ToString(CultureInfo.InvariantCulture), (byte)0);

    public static ReadModelStore OpenView(Settings settings) =>
        Directory.Exists(settings.ReadModelDirectory)
            ? ReadModelStore.OpenReadOnly(settings.ReadModelDirectory)
            : throw new CliUsageException($"no read model in '{settings.ReadModelDirectory}' (run wallet serve, or wallet readmodel rebuild)");
}
