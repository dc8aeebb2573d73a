using Microsoft.Extensions.Logging;
using Wallet.Gateway.Auth;
using Wallet.Gateway.Routing;
using Wallet.Gateway.Sessions;

namespace Wallet.Gateway;

/// <summary>What every session shares: options, users, routing, the registry and the intake switch.</summary>
internal sealed class GatewayContext(GatewayOptions options, UserDirectory users, ILogger logger)
{
    private volatile bool _intakeOpen = true;
    private int _logonsInProgress;

    public GatewayOptions Options { get; } = options;
    public UserDirectory Users { get; } = users;
    public ILogger Logger { get; } = logger;
    public SessionRegistry Sessions { get; } = new();
    private FanOutTable? _fanOuts;
    /// <summary>Reads sent to every partition and merged (LookupTransfers with more than one partition).</summary>
    public FanOutTable FanOuts => LazyInitializer.EnsureInitialized(ref _fanOuts, () => new FanOutTable(Sessions));
    private SplitTable? _splits;
    /// <summary>Requests whose items live on several partitions, split into one command per partition and merged.</summary>
    public SplitTable Splits => LazyInitializer.EnsureInitialized(ref _splits, () => new SplitTable(Sessions));
    public RequestProcessor Processor { get; set; } = null!;
    /// <summary>The gateway's result dispatcher: outcomes produced outside a partition (cross-partition transfers) go through it too.</summary>
    public Wallet.Engine.Partition.IPartitionResultHandler Results { get; set; } = null!;
    public IRequestRouter? Router { get; set; }
    /// <summary>The read model (GetHistory, GetBalanceAt); null → those requests get Reject(NotRunning).</summary>
    public Wallet.Engine.ReadModel.ReadModelStore? View { get; set; }
    /// <summary>One read model per partition (index = partition), when the node hosts several; overrides <see cref="View"/>.</summary>
    public IReadOnlyList<Wallet.Engine.ReadModel.ReadModelStore?>? Views { get; set; }

    /// <summary>The read model holding <paramref name="accountId"/>: its partition's, or the only one.</summary>
    public Wallet.Engine.ReadModel.ReadModelStore? ViewOf(UInt128 accountId)
    {
        IReadOnlyList<Wallet.Engine.ReadModel.ReadModelStore?>? views = Views;
        if (views is null) return View;
        int partition = Router?.PartitionOf(accountId) ?? 0;
        return (uint)partition < (uint)views.Count ? views[partition] : null;
    }

    /// <summary>Claims one of <see cref="GatewayOptions.MaxConcurrentLogons"/> password-check slots.</summary>
    public bool TryBeginLogon()
    {
        if (Interlocked.Increment(ref _logonsInProgress) <= Options.MaxConcurrentLogons) return true;
        Interlocked.Decrement(ref _logonsInProgress);
        return false;
    }

    public void EndLogon() => Interlocked.Decrement(ref _logonsInProgress);

    /// <summary>Test seam: runs inside the password-check slot, before the check (lets a test hold the slot).</summary>
    internal Action<string>? PasswordCheckHook { get; set; }

    /// <summary>Password checks running now (a gauge; may briefly over-count a refused claim).</summary>
    public int LogonsInProgress => Volatile.Read(ref _logonsInProgress);

    /// <summary>False once shutdown began: new requests get Reject(NotRunning); results still flow.</summary>
    public bool IntakeOpen
    {
        get => _intakeOpen;
        set => _intakeOpen = value;
    }
}
