using System.Globalization;
using Microsoft.Extensions.Configuration;
using Wallet.Replication.Cluster;
using static Wallet.Host.Configuration.SettingsReader;

namespace Wallet.Host.Configuration;

/// <summary>
/// The optional "Cluster" section: with it, <c>wallet serve</c> runs one replica of a replicated partition. Members are
/// written compactly so they fit an environment variable or a command-line override:
/// <c>Cluster:Members = "1=127.0.0.1:7401:7501,2=127.0.0.1:7402:7502,3=127.0.0.1:7403:7503"</c>
/// (id=host:clientPort:replicationPort), optionally with the HTTP API's port as a fourth field
/// (id=host:clientPort:replicationPort:httpPort) so that a follower's HTTP "not the leader" answer names the leader's API.
/// </summary>
internal static class ClusterSettings
{
    public static ClusterOptions? Load(IConfigurationSection c)
    {
        string members = String(c, "Members", string.Empty);
        if (members.Length == 0)
        {
            if (c["NodeId"] is not null) throw new SettingsException("Cluster:NodeId is set but Cluster:Members is not: list every replica (id=host:clientPort:replicationPort, comma-separated).");
            return null;
        }
        int nodeId = Int(c, "NodeId", -1, 0, ushort.MaxValue);
        if (nodeId < 0) throw new SettingsException("Cluster:NodeId is required with Cluster:Members (this replica's id).");
        var defaults = new ClusterOptions { NodeId = nodeId, Members = [] };
        var options = new ClusterOptions
        {
            NodeId = nodeId,
            Members = ParseMembers(members),
            ClusterId = (uint)Long(c, "ClusterId", defaults.ClusterId, 0, uint.MaxValue),
            ElectionTimeoutMs = Int(c, "ElectionTimeoutMs", defaults.ElectionTimeoutMs, 10, 60_000),
            HeartbeatIntervalMs = Int(c, "HeartbeatIntervalMs", defaults.HeartbeatIntervalMs, 1, 30_000),
            IdleWaitMs = Int(c, "IdleWaitMs", defaults.IdleWaitMs, 1, 100),
            RetainMarginEntries = Long(c, "RetainMarginEntries", defaults.RetainMarginEntries, 0, 1L << 40),
            SnapshotChunkBytes = Int(c, "SnapshotChunkBytes", defaults.SnapshotChunkBytes, 1024, 16 << 20),
            MaxSnapshotBytes = Long(c, "MaxSnapshotBytes", defaults.MaxSnapshotBytes, 1 << 20, 1L << 40),
            RejoinAfterDataLoss = Bool(c, "RejoinAfterDataLoss", defaults.RejoinAfterDataLoss),
            RejoinQuietMs = Int(c, "RejoinQuietMs", defaults.RejoinQuietMs, -1, 3_600_000),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new SettingsException(ex.Message.StartsWith("Cluster:", StringComparison.Ordinal) ? ex.Message : $"Cluster: {ex.Message}", ex);
        }
        return options;
    }

    internal static List<ClusterMember> ParseMembers(string text)
    {
        var list = new List<ClusterMember>();
        foreach (string raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = raw.IndexOf('=', StringComparison.Ordinal);
            string[] parts = eq < 0 ? [] : raw[(eq + 1)..].Split(':');
            int httpPort = 0;
            if (eq <= 0 || parts.Length is not (3 or 4)
                || !int.TryParse(raw.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out int id)
                || parts[0].Length == 0
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int clientPort) || clientPort is < 1 or > 65535
                || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int replicationPort) || replicationPort is < 1 or > 65535
                || (parts.Length == 4 && (!int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out httpPort) || httpPort is < 1 or > 65535)))
            {
                throw new SettingsException($"Cluster:Members entry '{raw}' is invalid: expected id=host:clientPort:replicationPort[:httpPort] (ports 1..65535), e.g. 1=127.0.0.1:7401:7501 or 1=127.0.0.1:7401:7501:7481.");
            }
            list.Add(new ClusterMember(id, parts[0], clientPort, replicationPort, httpPort));
        }
        return list;
    }
}
