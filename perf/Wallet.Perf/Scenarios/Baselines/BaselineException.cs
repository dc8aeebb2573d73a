namespace Wallet.Perf.Scenarios.Baselines;

/// <summary>A baseline could not be set up or run (missing package, failed install, a server that did not start); the message says which step.</summary>
internal sealed class BaselineException : Exception
{
    public BaselineException(string message) : base(message)
    {
    }

    public BaselineException(string message, Exception inner) : base(message, inner)
    {
    }

    public BaselineException()
    {
    }
}
