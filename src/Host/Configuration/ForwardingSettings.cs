using Microsoft.Extensions.Configuration;
using static Wallet.Host.Configuration.SettingsReader;

namespace Wallet.Host.Configuration;

/// <summary>
/// The "Forwarding" section (cluster only): how this node's gateways send items of their clients' requests to the node
/// that leads their partition — SBE when leaderships are spread over nodes, FIX and HTTP whenever another node leads
/// (docs/gateway.md, "Forwarding between nodes"). Reference: docs/serve.md.
/// </summary>
internal sealed class ForwardingSettings
{
    /// <summary>"Forwarding:Enabled" (default true): false answers such requests with Redirect (SBE), NotLeader (HTTP 503) or a reject (FIX), or refuses them when no single node leads all their items.</summary>
    public required bool Enabled { get; init; }
    /// <summary>
    /// The peer-role user ("Forwarding:PeerUser", default gateway-peer) and its password ("Forwarding:PeerPassword"; set it
    /// through WALLET_Forwarding__PeerPassword in production) with which this node logs on to the others. Every node's
    /// Users must hold that user with Role Peer.
    /// </summary>
    public required string PeerUser { get; init; }
    public required string PeerPassword { get; init; }
    /// <summary>"Forwarding:MaxInFlightPerNode" (default 256): forwarded requests awaiting an answer from one node; beyond, Busy.</summary>
    public required int MaxInFlightPerNode { get; init; }
    /// <summary>"Forwarding:RequestTimeoutMs" (default 10,000): a forwarded request unanswered this long has an unknown outcome (the client resubmits).</summary>
    public required int RequestTimeoutMs { get; init; }

    public static ForwardingSettings Load(IConfigurationSection s)
    {
        string enabled = String(s, "Enabled", "true");
        if (!bool.TryParse(enabled, out bool on))
            throw new SettingsException($"{Path(s, "Enabled")} = '{enabled}' is invalid: expected true or false.");
        return new ForwardingSettings
        {
            Enabled = on,
            PeerUser = String(s, "PeerUser", "gateway-peer"),
            PeerPassword = String(s, "PeerPassword", "gateway-peer-dev-password"),
            MaxInFlightPerNode = Int(s, "MaxInFlightPerNode", 256, 1, 65_536),
            RequestTimeoutMs = Int(s, "RequestTimeoutMs", 10_000, 100, 600_000),
        };
    }
}
