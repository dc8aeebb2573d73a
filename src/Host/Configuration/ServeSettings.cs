using System.Net;
using Microsoft.Extensions.Configuration;
using Wallet.Engine.Journal;
using Wallet.Engine.Ledger;
using Wallet.Engine.Partition;
using Wallet.Engine.Ring;
using Wallet.Gateway;
using Wallet.Gateway.Auth;
using Wallet.Replication.Cluster;
using static Wallet.Host.Configuration.SettingsReader;

namespace Wallet.Host.Configuration;

/// <summary>
/// Everything <c>wallet serve</c> needs, read from configuration (appsettings.json, WALLET_ environment variables,
/// command line) and validated up front: a bad value stops the process before anything opens, with a message that
/// names the setting. Reference: docs/serve.md.
/// </summary>
internal sealed class ServeSettings
{
    /// <summary>Most partitions one process hosts (each is a BLP thread plus journals; the box has few cores).</summary>
    public const int MaxPartitions = 64;

    public required string DataDirectory { get; init; }
    public required GatewayOptions Gateway { get; init; }
    /// <summary>Partition 0's options (the ledger, limits and journals every partition shares).</summary>
    public required PartitionOptions Partition { get; init; }
    /// <summary>Every partition this process hosts ("Serve:Partitions", default 1), in partition order; see <see cref="Wallet.Host.Partitions.PartitionLayout"/>.</summary>
    public required IReadOnlyList<PartitionOptions> Partitions { get; init; }
    public required IReadOnlyList<UserDefinition> Users { get; init; }
    public required int ShutdownTimeoutMs { get; init; }
    /// <summary>Set when this node is one replica of a replicated partition ("Cluster" section); null = single node.</summary>
    public ClusterOptions? Cluster { get; init; }
    /// <summary>
    /// With several partitions under consensus, partition p of every member replicates on that member's replication port
    /// + p × this ("Cluster:PartitionPortStride", default 100): one Raft group, one transport per partition.
    /// </summary>
    public int ReplicationPortStride { get; init; } = DefaultReplicationPortStride;
    public const int DefaultReplicationPortStride = 100;

    /// <summary>
    /// The consensus options of <paramref name="partition"/>: partition 0 is the "Cluster" section as written (so a
    /// one-partition cluster is unchanged); partition p moves every replication port up by p × stride and uses cluster
    /// id <c>ClusterId XOR (p &lt;&lt; 20)</c>, so a link that reaches another partition's port is refused at the handshake.
    /// </summary>
    public ClusterOptions? ClusterFor(int partition)
    {
        ClusterOptions? c = Cluster;
        if (c is null || partition == 0) return c;
        var members = new List<ClusterMember>(c.Members.Count);
        foreach (ClusterMember m in c.Members)
        {
            members.Add(m with { ReplicationPort = m.ReplicationPort == 0 ? 0 : m.ReplicationPort + partition * ReplicationPortStride });
        }
        return new ClusterOptions
        {
            NodeId = c.NodeId,
            Members = members,
            ClusterId = c.ClusterId ^ ((uint)partition << 20),
            ElectionTimeoutMs = c.ElectionTimeoutMs,
            HeartbeatIntervalMs = c.HeartbeatIntervalMs,
            IdleWaitMs = c.IdleWaitMs,
            MaxPendingProposals = c.MaxPendingProposals,
            MaxPendingQueries = c.MaxPendingQueries,
            Transport = c.Transport,
            RetainMarginEntries = c.RetainMarginEntries,
            SnapshotChunkBytes = c.SnapshotChunkBytes,
            MaxSnapshotBytes = c.MaxSnapshotBytes,
            RejoinAfterDataLoss = c.RejoinAfterDataLoss,
            RejoinQuietMs = c.RejoinQuietMs,
        };
    }
    /// <summary>
    /// The saga sequencer's own replicated group on a cluster with several partitions: the slot after the partitions'
    /// (replication port + PartitionCount × stride) and cluster id <c>ClusterId XOR (0xFFF &lt;&lt; 20)</c>, so a link to a
    /// partition's port is refused at the handshake.
    /// </summary>
    public ClusterOptions? SagaCluster()
    {
        ClusterOptions? c = ClusterFor(Partitions.Count);
        return c is null ? null : new ClusterOptions
        {
            NodeId = c.NodeId,
            Members = c.Members,
            ClusterId = Cluster!.ClusterId ^ (0xFFFu << 20),
            ElectionTimeoutMs = c.ElectionTimeoutMs,
            HeartbeatIntervalMs = c.HeartbeatIntervalMs,
            IdleWaitMs = c.IdleWaitMs,
            Transport = c.Transport,
            RetainMarginEntries = c.RetainMarginEntries,
            SnapshotChunkBytes = c.SnapshotChunkBytes,
            MaxSnapshotBytes = c.MaxSnapshotBytes,
            RejoinAfterDataLoss = c.RejoinAfterDataLoss,
            RejoinQuietMs = c.RejoinQuietMs,
        };
    }

    /// <summary>The FIX acceptor, or null when the "Fix" section is absent or disabled.</summary>
    public Wallet.Gateway.Fix.FixOptions? Fix { get; init; }
    /// <summary>The HTTP API and the read model ("Http", "ReadModel" sections).</summary>
    public required ApiSettings Api { get; init; }
    /// <summary>Cross-partition transfers ("Saga" section); used by a single node with several partitions.</summary>
    public required SagaSettings Saga { get; init; }
    /// <summary>Forwarding between nodes ("Forwarding" section); used by a replica of several partitions.</summary>
    public required ForwardingSettings Forwarding { get; init; }

    public static ServeSettings Load(IConfiguration config)
    {
        string dataDirectory = System.IO.Path.GetFullPath(String(config, "DataDirectory", "./data"));
        LedgerOptions ledger = LoadLedger(config.GetSection("Ledger"));
        ClusterOptions? cluster = ClusterSettings.Load(config.GetSection("Cluster"));
        // A replica's gateway listens on the client port its peers advertise for it in Redirects.
        GatewayOptions gateway = LoadGateway(config.GetSection("Gateway"), cluster?.Self.ClientPort);
        if (gateway.MaxBatchSize > ledger.MaxBatchSize)
            throw new SettingsException($"Gateway:MaxBatchSize ({gateway.MaxBatchSize}) must not exceed Ledger:MaxBatchSize ({ledger.MaxBatchSize}).");
        IConfigurationSection p = config.GetSection("Partition");
        int partitionCount = Int(config.GetSection("Serve"), "Partitions", 1, 1, MaxPartitions);
        int maxCommandBytes = Math.Max(ledger.MaxBatchSize, gateway.MaxBatchSize) * Transfer.SizeBytes;
        var partitions = new List<PartitionOptions>(partitionCount);
        for (int i = 0; i < partitionCount; i++)
        {
            PartitionOptions one = PartitionFor(Wallet.Host.Partitions.PartitionLayout.DirectoryOf(dataDirectory, partitionCount, i), i);
            Check(one.Validate, "Partition");
            partitions.Add(one);
        }
        int stride = Int(config.GetSection("Cluster"), "PartitionPortStride", DefaultReplicationPortStride, 1, 65535);
        // With several partitions the saga group takes the next slot: checked like a partition's.
        if (cluster is not null) CheckReplicationPorts(cluster, partitionCount > 1 ? partitionCount + 1 : 1, stride, slotsIncludeSaga: partitionCount > 1);
        IReadOnlyList<UserDefinition> users = LoadUsers(config.GetSection("Users"));
        ForwardingSettings forwarding = ForwardingSettings.Load(config.GetSection("Forwarding"));
        if (cluster is not null && forwarding.Enabled) CheckPeerUser(users, forwarding.PeerUser);
        return new ServeSettings
        {
            ReplicationPortStride = stride,
            DataDirectory = dataDirectory,
            Gateway = gateway,
            Partition = partitions[0],
            Partitions = partitions,
            Users = users,
            ShutdownTimeoutMs = Int(p, "ShutdownTimeoutMs", 30_000, 100, 600_000),
            Cluster = cluster,
            Fix = FixSettings.Load(config.GetSection("Fix"), dataDirectory),
            Api = ApiSettings.Load(config, dataDirectory, cluster?.Self.HttpPort ?? 0),
            Saga = SagaSettings.Load(config.GetSection("Saga"), dataDirectory),
            Forwarding = forwarding,
        };

        PartitionOptions PartitionFor(string directory, int partitionId) => new PartitionOptions
        {
            DataDirectory = directory,
            PartitionId = partitionId,
            Ledger = ledger,
            MaxCommandBytes = maxCommandBytes,
            Fsync = Enum(p, "Fsync", FsyncPolicy.Batch),
            IngressRingSize = Int(p, "IngressRingSize", 4096, 2, PartitionOptions.MaxRingSize),
            EgressRingSize = Int(p, "EgressRingSize", 4096, 2, PartitionOptions.MaxRingSize),
            JournalSegmentSizeBytes = Long(p, "JournalSegmentSizeBytes", 64L << 20, JournalOptions.MinSegmentSizeBytes, JournalOptions.MaxSegmentSizeBytes),
            SnapshotIntervalCommands = Long(p, "SnapshotIntervalCommands", 1_000_000, 0, long.MaxValue),
            SnapshotRetainCount = Int(p, "SnapshotRetainCount", 3, 1, 1000),
            JournalRetention = Enum(p, "JournalRetention", JournalRetention.KeepAll),
            Wait = Enum(p, "Wait", WaitKind.Blocking),
            WaitSpinNs = Int(p, "WaitSpinNs", PhasedBackoffWaitStrategy.DefaultSpinNs, 0, PhasedBackoffWaitStrategy.MaxBudgetNs),
            WaitYieldNs = Int(p, "WaitYieldNs", PhasedBackoffWaitStrategy.DefaultYieldNs, 0, PhasedBackoffWaitStrategy.MaxBudgetNs),
            JournalPrefaultAheadBytes = Long(p, "JournalPrefaultAheadBytes", JournalOptions.DefaultPrefaultAheadBytes, 0, JournalOptions.MaxSegmentSizeBytes),
            JournalPageCacheKeepBytes = Long(p, "JournalPageCacheKeepBytes", JournalOptions.DefaultPageCacheKeepBytes, 0, long.MaxValue),
            JournalStagedWriteMinBytes = Int(p, "JournalStagedWriteMinBytes", JournalOptions.DefaultStagedWriteMinRecordBytes, 0, int.MaxValue),
            JournalOpenValidation = Enum(p, "JournalOpenValidation", JournalOpenValidation.LastSegment),
            EventJournalCheckTailBytes = Long(p, "EventJournalCheckTailBytes", -1, -1, long.MaxValue),
            PreallocateTransfers = Bool(p, "PreallocateTransfers", true),
            Sequencing = cluster is null ? PartitionSequencing.Local : PartitionSequencing.External,
        };
    }

    /// <summary>Every (host, port) a cluster of N partitions listens on must be a valid port, and distinct.</summary>
    /// <summary>The other nodes log on here as Forwarding:PeerUser: a replica that does not know that user would refuse every forward.</summary>
    private static void CheckPeerUser(IReadOnlyList<UserDefinition> users, string peerUser)
    {
        foreach (UserDefinition u in users)
        {
            if (u.Name != peerUser) continue;
            if (u.Role == Role.Peer) return;
            throw new SettingsException($"Forwarding:PeerUser '{peerUser}' is a user of the {u.Role.ToString().ToLowerInvariant()} role: the user other nodes forward requests as needs Role peer (or set Forwarding:Enabled=false).");
        }
        throw new SettingsException($"Forwarding:PeerUser '{peerUser}' is not in Users: add it with Role peer on every node (the user other nodes forward requests as; its password is Forwarding:PeerPassword), or set Forwarding:Enabled=false.");
    }

    private static void CheckReplicationPorts(ClusterOptions cluster, int partitionCount, int stride, bool slotsIncludeSaga = false)
    {
        var used = new Dictionary<(string Host, int Port), string>();
        foreach (ClusterMember m in cluster.Members)
        {
            if (m.ClientPort > 0) used[(m.Host, m.ClientPort)] = $"member {m.Id}'s client port";
        }
        foreach (ClusterMember m in cluster.Members)
        {
            if (m.HttpPort > 0 && !used.TryAdd((m.Host, m.HttpPort), $"member {m.Id}'s HTTP port"))
                throw new SettingsException($"Cluster: member {m.Id}'s HTTP port ({m.Host}:{m.HttpPort}) is also {used[(m.Host, m.HttpPort)]}.");
        }
        foreach (ClusterMember m in cluster.Members)
        {
            if (m.ReplicationPort == 0) continue;
            for (int p = 0; p < partitionCount; p++)
            {
                long port = m.ReplicationPort + (long)p * stride;
                if (port > 65535)
                    throw new SettingsException($"Cluster: member {m.Id}'s replication port for partition {p} would be {port} (ReplicationPort {m.ReplicationPort} + {p} × Cluster:PartitionPortStride {stride}): above 65535; lower the ports or the stride.");
                // With several partitions the last slot is the saga sequencer's group (ServeSettings.SagaCluster).
                string what = partitionCount > 1 && p == partitionCount - 1 && slotsIncludeSaga
                    ? $"member {m.Id}'s replication port of the saga group"
                    : $"member {m.Id}'s replication port of partition {p}";
                if (!used.TryAdd((m.Host, (int)port), what))
                    throw new SettingsException($"Cluster: {what} ({m.Host}:{port}) is also {used[(m.Host, (int)port)]}: with {(slotsIncludeSaga ? $"{partitionCount - 1} partitions and the saga group" : $"{partitionCount} partitions")} each member needs ReplicationPort + p × Cluster:PartitionPortStride ({stride}) free for p in 0..{partitionCount - 1}.");
            }
        }
    }

    private static GatewayOptions LoadGateway(IConfigurationSection g, int? clusterClientPort)
    {
        string host = String(g, "Host", "127.0.0.1");
        if (!IPAddress.TryParse(host, out IPAddress? address))
            throw new SettingsException($"Gateway:Host = '{host}' is invalid: expected an IP address such as 127.0.0.1.");
        var defaults = new GatewayOptions();
        var options = new GatewayOptions
        {
            BindAddress = address,
            Port = clusterClientPort ?? Int(g, "Port", defaults.Port, 1, 65535),
            MaxSessions = Int(g, "MaxSessions", defaults.MaxSessions, 1, 100_000),
            MaxFrameBytes = Int(g, "MaxFrameBytes", defaults.MaxFrameBytes, 64, 16 << 20),
            MaxBatchSize = Int(g, "MaxBatchSize", defaults.MaxBatchSize, 1, 8190),
            MaxInFlightPerSession = Int(g, "MaxInFlightPerSession", defaults.MaxInFlightPerSession, 1, 1_000_000),
            MaxOutboundBytesPerSession = Int(g, "MaxOutboundBytesPerSession", defaults.MaxOutboundBytesPerSession, 1024, 256 << 20),
            HeartbeatIntervalMs = Int(g, "HeartbeatIntervalMs", defaults.HeartbeatIntervalMs, 10, 3_600_000),
            MinHeartbeatIntervalMs = Int(g, "MinHeartbeatIntervalMs", defaults.MinHeartbeatIntervalMs, 10, 3_600_000),
            MaxHeartbeatIntervalMs = Int(g, "MaxHeartbeatIntervalMs", defaults.MaxHeartbeatIntervalMs, 10, 3_600_000),
            IdleTimeoutIntervals = Int(g, "IdleTimeoutIntervals", defaults.IdleTimeoutIntervals, 2, 100),
            LogonTimeoutMs = Int(g, "LogonTimeoutMs", defaults.LogonTimeoutMs, 10, 600_000),
            CloseLingerMs = Int(g, "CloseLingerMs", defaults.CloseLingerMs, 0, 60_000),
            MaxConcurrentLogons = Int(g, "MaxConcurrentLogons", defaults.MaxConcurrentLogons, 1, 1024),
            BusyRetryAfterMs = Int(g, "BusyRetryAfterMs", defaults.BusyRetryAfterMs, 0, 60_000),
            NoLeaderRetryAfterMs = Int(g, "NoLeaderRetryAfterMs", defaults.NoLeaderRetryAfterMs, 0, 60_000),
            SocketSendBufferBytes = Int(g, "SocketSendBufferBytes", defaults.SocketSendBufferBytes, 0, 64 << 20),
        };
        Check(options.Validate, "Gateway");
        return options;
    }

    internal static LedgerOptions LoadLedger(IConfigurationSection l)
    {
        var definitions = new List<LedgerDefinition>();
        foreach (IConfigurationSection d in l.GetSection("Ledgers").GetChildren())
        {
            int code = Int(d, "Code", 0, 1, int.MaxValue);
            if (code == 0) throw new SettingsException($"{d.Path}:Code is required (a positive integer).");
            string symbol = String(d, "Symbol", string.Empty);
            if (symbol.Length == 0) throw new SettingsException($"{d.Path}:Symbol is required (e.g. USD).");
            int scale = Int(d, "Scale", -1, 0, AmountText.MaxScale);
            if (scale < 0) throw new SettingsException($"{d.Path}:Scale is required (0..{AmountText.MaxScale}).");
            definitions.Add(new LedgerDefinition((uint)code, symbol, (byte)scale));
        }
        if (definitions.Count == 0)
            throw new SettingsException("Ledger:Ledgers is missing: configure at least one ledger (Code, Symbol, Scale).");
        LedgerCatalog catalog;
        try
        {
            catalog = new LedgerCatalog(definitions);
        }
        catch (ArgumentException ex)
        {
            throw new SettingsException($"Ledger:Ledgers: {ex.Message}", ex);
        }
        return new LedgerOptions
        {
            Catalog = catalog,
            MaxAccounts = Int(l, "MaxAccounts", 1 << 20, 1, 1 << 28),
            MaxBatchSize = Int(l, "MaxBatchSize", LedgerOptions.DefaultMaxBatchSize, 1, 1 << 20),
            MaxPendingTransfers = Int(l, "MaxPendingTransfers", 1 << 16, 1, 1 << 26),
            TransferRetentionCount = Int(l, "TransferRetentionCount", 1 << 20, 0, 1 << 27),
            TransferRetentionNs = Long(l, "TransferRetentionNs", 0, 0, long.MaxValue),
        };
    }

    private static List<UserDefinition> LoadUsers(IConfigurationSection users)
    {
        var list = new List<UserDefinition>();
        foreach (IConfigurationSection u in users.GetChildren())
        {
            string name = String(u, "Name", string.Empty);
            if (name.Length == 0) throw new SettingsException($"{u.Path}:Name is required.");
            string hash = String(u, "PasswordHash", string.Empty);
            if (hash.Length == 0) throw new SettingsException($"{u.Path}:PasswordHash is required (make one with 'wallet hash-password').");
            Role role = Enum(u, "Role", Role.Client);
            var debits = new List<string>();
            foreach (IConfigurationSection a in u.GetSection("DebitAccounts").GetChildren())
            {
                if (a.Value is not null) debits.Add(a.Value);
            }
            list.Add(new UserDefinition(name, hash, role, debits));
        }
        if (list.Count == 0) throw new SettingsException("Users is missing: configure at least one user (Name, PasswordHash, Role).");
        return list;
    }

    private static void Check(Action validate, string section)
    {
        try
        {
            validate();
        }
        catch (ArgumentException ex)
        {
            string message = ex.Message.StartsWith(section + ":", StringComparison.Ordinal) ? ex.Message : $"{section}:{ex.ParamName}: {ex.Message}";
            throw new SettingsException(message, ex);
        }
    }
}
