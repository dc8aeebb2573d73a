namespace Wallet.Perf.Harness;

/// <summary>Invalid command line: Program prints the message and exits with code 2.</summary>
internal sealed class PerfOptionsException : Exception
{
    public PerfOptionsException()
    {
    }

    public PerfOptionsException(string message)
        : base(message)
    {
    }

    public PerfOptionsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
