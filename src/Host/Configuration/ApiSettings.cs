using System.Net;
using Microsoft.Extensions.Configuration;
using Wallet.Engine.ReadModel;
using Wallet.Gateway.Http;
using static Wallet.Host.Configuration.SettingsReader;

namespace Wallet.Host.Configuration;

/// <summary>
/// The "Http" and "ReadModel" sections of the serve settings: the HTTP/JSON API's endpoint and limits, and the
/// read model's folder and batch limits. Reference: docs/OPERATIONS.md.
/// </summary>
internal sealed class ApiSettings
{
    public required bool HttpEnabled { get; init; }
    public required HttpOptions Http { get; init; }
    public required bool ReadModelEnabled { get; init; }
    public required string ReadModelDirectory { get; init; }
    public required ReadModelOptions ReadModel { get; init; }

    /// <param name="config">The whole configuration (its "Http" and "ReadModel" sections are read).</param>
    /// <param name="dataDirectory">The node's data directory (the read model's default home).</param>
    /// <param name="clusterHttpPort">This replica's HTTP port as Cluster:Members publishes it (0 = not published).</param>
    public static ApiSettings Load(IConfiguration config, string dataDirectory, int clusterHttpPort = 0)
    {
        IConfigurationSection h = config.GetSection("Http");
        string host = String(h, "Host", "127.0.0.1");
        if (!IPAddress.TryParse(host, out IPAddress? address))
            throw new SettingsException($"Http:Host = '{host}' is invalid: expected an IP address such as 127.0.0.1.");
        var defaults = new HttpOptions();
        var http = new HttpOptions
        {
            BindAddress = address,
            // A replica listens where its peers say it does (they name this port to clients in "not the leader" answers),
            // as its SBE gateway listens on its published client port.
            Port = clusterHttpPort > 0 ? clusterHttpPort : Int(h, "Port", defaults.Port, 0, 65535),
            MaxRequestBodyBytes = Int(h, "MaxRequestBodyBytes", defaults.MaxRequestBodyBytes, 256, 16 << 20),
            CommandTimeoutMs = Int(h, "CommandTimeoutMs", defaults.CommandTimeoutMs, 10, 600_000),
            MaxInFlightCommands = Int(h, "MaxInFlightCommands", defaults.MaxInFlightCommands, 1, 1_000_000),
            MaxConnections = Int(h, "MaxConnections", defaults.MaxConnections, 1, 1_000_000),
            CredentialCacheSeconds = Int(h, "CredentialCacheSeconds", defaults.CredentialCacheSeconds, 0, 86_400),
            MaxConcurrentPasswordChecks = Int(h, "MaxConcurrentPasswordChecks", defaults.MaxConcurrentPasswordChecks, 1, 1024),
        };
        IConfigurationSection r = config.GetSection("ReadModel");
        var readModelDefaults = new ReadModelOptions();
        var readModel = new ReadModelOptions
        {
            MaxRecordsPerBatch = Int(r, "MaxRecordsPerBatch", readModelDefaults.MaxRecordsPerBatch, 1, 1 << 20),
            MaxEventsPerBatch = Int(r, "MaxEventsPerBatch", readModelDefaults.MaxEventsPerBatch, 1, 1 << 22),
            IngestMinEvents = Int(r, "IngestMinEvents", readModelDefaults.IngestMinEvents, 0, 1 << 22),
            HistoryEpochRows = Int(r, "HistoryEpochRows", readModelDefaults.HistoryEpochRows, 1, 1 << 30),
            IdleWaitMs = Int(r, "IdleWaitMs", readModelDefaults.IdleWaitMs, 1, 1000),
            FaultRetryMs = Int(r, "FaultRetryMs", readModelDefaults.FaultRetryMs, 1, 600_000),
            FlushIntervalMs = Int(r, "FlushIntervalMs", readModelDefaults.FlushIntervalMs, 10, 3_600_000),
            WritePath = Enum(r, "WritePath", readModelDefaults.WritePath),
        };
        string directory = String(r, "Directory", string.Empty);
        return new ApiSettings
        {
            HttpEnabled = Bool(h, "Enabled", true),
            Http = http,
            ReadModelEnabled = Bool(r, "Enabled", true),
            ReadModelDirectory = directory.Length == 0 ? System.IO.Path.Combine(dataDirectory, ReadModelStore.DirectoryName) : System.IO.Path.GetFullPath(directory),
            ReadModel = readModel,
        };
    }
}
