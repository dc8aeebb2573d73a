using Microsoft.Extensions.Logging;
using RocksDbSharp;
using Wallet.Engine.Partition;
using Wallet.Engine.ReadModel;
using Wallet.Host.Configuration;

namespace Wallet.Host.Commands;

/// <summary>
/// The read model inside <c>wallet serve</c>: opens the RocksDB store and runs the projector over the partition's
/// event journal. A read model that cannot open is logged and left out (history and balance-at then answer 503):
/// it must never stop the write path.
/// </summary>
internal sealed class ReadModelHost : IDisposable
{
    private ReadModelHost(ReadModelStore? store, ReadModelProjector? projector)
    {
        Store = store;
        Projector = projector;
    }

    public ReadModelStore? Store { get; }
    public ReadModelProjector? Projector { get; }

    /// <summary>Opens the read model in <paramref name="directory"/> (default: <see cref="ApiSettings.ReadModelDirectory"/>) and projects <paramref name="partition"/>; <paramref name="settings"/> and <paramref name="log"/> as for the node.</summary>
    public static ReadModelHost Start(ApiSettings settings, PartitionEngine partition, ILogger log, string? directory = null)
    {
        if (!settings.ReadModelEnabled || partition.EventJournal is null) return new ReadModelHost(null, null);
        directory ??= settings.ReadModelDirectory;
        ReadModelStore? store = null;
        try
        {
            store = ReadModelStore.Open(directory);
            if (store.FormatReset is { } reset) log.LogWarning("{Reset}", reset);
            var projector = new ReadModelProjector(store, partition.EventJournal, settings.ReadModel);
            projector.Start();
            log.LogInformation("Read model in {Directory} at index {Index}", directory, store.Position.Index);
            return new ReadModelHost(store, projector);
        }
        catch (Exception ex) when (ex is RocksDbException or IOException or UnauthorizedAccessException)
        {
            store?.Dispose();
            log.LogError(ex, "Read model unavailable ({Directory}); serving without it", directory);
            return new ReadModelHost(null, null);
        }
    }

    public void StopProjector() => Projector?.Stop(TimeSpan.FromSeconds(10));

    public void Dispose()
    {
        bool stopped = Projector?.Stop(TimeSpan.FromSeconds(10)) ?? true;
        Projector?.Dispose();
        // Never close RocksDB under a projector thread that is still running (a native use-after-free).
        if (stopped) Store?.Dispose();
    }
}
