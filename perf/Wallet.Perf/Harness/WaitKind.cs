using Wallet.Engine.Ring;

namespace Wallet.Perf.Harness;

/// <summary>The --wait choices, mapped to ring wait strategies.</summary>
internal enum WaitKind
{
    BusySpin,
    Yielding,
    Sleeping,
    Blocking,
}

internal static class WaitKinds
{
    public const string Choices = "busy-spin|yielding|sleeping|blocking";

    public static WaitKind Parse(string text) => text.ToLowerInvariant() switch
    {
        "busy-spin" or "busyspin" => WaitKind.BusySpin,
        "yielding" => WaitKind.Yielding,
        "sleeping" => WaitKind.Sleeping,
        "blocking" => WaitKind.Blocking,
        _ => throw new PerfOptionsException($"--wait must be one of {Choices}; got '{text}'"),
    };

    public static string Name(WaitKind kind) => kind switch
    {
        WaitKind.BusySpin => "busy-spin",
        WaitKind.Yielding => "yielding",
        WaitKind.Sleeping => "sleeping",
        _ => "blocking",
    };

    public static IWaitStrategy Create(WaitKind kind) => kind switch
    {
        WaitKind.BusySpin => new BusySpinWaitStrategy(),
        WaitKind.Yielding => new YieldingWaitStrategy(),
        WaitKind.Sleeping => new SleepingWaitStrategy(),
        _ => new BlockingWaitStrategy(),
    };
}
