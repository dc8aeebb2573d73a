using System.Net;
using System.Text;
using Wallet.Engine.Journal;

namespace Wallet.Gateway.Fix;

/// <summary>Settings of the FIX acceptor ("Fix" section of appsettings.json). Every limit carries its unit. See docs/FIX.md.</summary>
public sealed class FixOptions
{
    public const int MaxCompIdBytes = 64;

    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;
    /// <summary>TCP port; 0 picks an ephemeral port (tests).</summary>
    public int Port { get; init; } = 7410;
    /// <summary>Largest inbound message (header to checksum). A larger BodyLength is treated as garbled.</summary>
    public int MaxMessageBytes { get; init; } = 4096;
    /// <summary>Most fields in one inbound message; more → Reject (373=99).</summary>
    public int MaxFields { get; init; } = 64;
    /// <summary>HeartBtInt (108) the partner may ask for, in seconds; outside → Logout.</summary>
    public int MinHeartbeatSeconds { get; init; } = 1;
    public int MaxHeartbeatSeconds { get; init; } = 120;
    /// <summary>A connection that has not sent a valid Logon within this time is dropped.</summary>
    public int LogonTimeoutMs { get; init; } = 10_000;
    /// <summary>Time a closing session gets to flush its Logout before the socket is dropped.</summary>
    public int CloseLingerMs { get; init; } = 2000;
    /// <summary>Requests awaiting a ledger answer per session; more → BusinessMessageReject (application not available).</summary>
    public int MaxInFlightPerSession { get; init; } = 256;
    /// <summary>Bytes queued for a session before it is cut as a slow consumer.</summary>
    public int MaxOutboundBytesPerSession { get; init; } = 1 << 20;
    /// <summary>Where sequence numbers and sent application messages are persisted (one pair of files per partner).</summary>
    public string StoreDirectory { get; init; } = "./data/fix";
    /// <summary>Sent application messages kept for resend, per partner; older ones are gap-filled on a ResendRequest.</summary>
    public int MaxStoredMessages { get; init; } = 100_000;
    /// <summary>
    /// When the store's writes reach stable storage. Batch (default): one fdatasync before each socket write of a
    /// session that wrote something, so no MsgSeqNum or stored report reaches the partner before it is durable.
    /// Always: a sync per write. None: page cache only (survives a gateway crash, not a power cut). See docs/FIX.md.
    /// </summary>
    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.Batch;
    public IReadOnlyList<FixPartner> Partners { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(BindAddress);
        Check(Port is >= 0 and <= 65535, nameof(Port), Port, "0..65535");
        Check(MaxMessageBytes is >= 512 and <= 1 << 20, nameof(MaxMessageBytes), MaxMessageBytes, "512..1048576");
        Check(MaxFields is >= 16 and <= 1024, nameof(MaxFields), MaxFields, "16..1024");
        Check(MinHeartbeatSeconds is >= 1 and <= 3600, nameof(MinHeartbeatSeconds), MinHeartbeatSeconds, "1..3600");
        Check(MaxHeartbeatSeconds >= MinHeartbeatSeconds && MaxHeartbeatSeconds <= 3600, nameof(MaxHeartbeatSeconds), MaxHeartbeatSeconds, "MinHeartbeatSeconds..3600");
        Check(LogonTimeoutMs is >= 10 and <= 600_000, nameof(LogonTimeoutMs), LogonTimeoutMs, "10..600000");
        Check(CloseLingerMs is >= 0 and <= 60_000, nameof(CloseLingerMs), CloseLingerMs, "0..60000");
        Check(MaxInFlightPerSession is >= 1 and <= 65_536, nameof(MaxInFlightPerSession), MaxInFlightPerSession, "1..65536");
        Check(MaxOutboundBytesPerSession >= 4 * MaxMessageBytes && MaxOutboundBytesPerSession <= 256 << 20, nameof(MaxOutboundBytesPerSession),
            MaxOutboundBytesPerSession, "4*MaxMessageBytes..268435456");
        if (!Enum.IsDefined(Fsync)) throw new ArgumentException($"Fix:Fsync = {(int)Fsync} is invalid: expected none, batch or always.", nameof(Fsync));
        Check(MaxStoredMessages is >= 1 and <= 10_000_000, nameof(MaxStoredMessages), MaxStoredMessages, "1..10000000");
        if (string.IsNullOrWhiteSpace(StoreDirectory)) throw new ArgumentException("Fix:StoreDirectory is required.", nameof(StoreDirectory));
        if (Partners.Count == 0) throw new ArgumentException("Fix:Partners: configure at least one partner.", nameof(Partners));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (FixPartner p in Partners)
        {
            CompId(p.SenderCompId, "SenderCompId");
            CompId(p.TargetCompId, "TargetCompId");
            if (!seen.Add(p.SenderCompId + "\u0001" + p.TargetCompId))
                throw new ArgumentException($"Fix:Partners: duplicate partner {p.SenderCompId}->{p.TargetCompId}.", nameof(Partners));
        }
    }

    private static void CompId(string value, string name)
    {
        bool ok = !string.IsNullOrEmpty(value) && Encoding.UTF8.GetByteCount(value) <= MaxCompIdBytes;
        if (ok)
        {
            foreach (char c in value)
            {
                // Also a file name component of the store: letters, digits, '.', '_' and '-' only.
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) ok = false;
            }
        }
        if (!ok) throw new ArgumentException($"Fix:Partners:{name} '{value}' is invalid: 1..{MaxCompIdBytes} ASCII letters, digits, '.', '_' or '-'.", name);
    }

    private static void Check(bool ok, string name, int value, string range)
    {
        if (!ok) throw new ArgumentException($"Fix:{name} = {value} is invalid: expected {range}.", name);
    }
}
