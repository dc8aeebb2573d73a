namespace Wallet.Replication.Simulation;

/// <summary>An invariant of the simulated cluster was violated (or it made no progress after faults healed).</summary>
public sealed class SimFailureException : Exception
{
    public SimFailureException(string message) : base(message)
    {
    }

    public SimFailureException()
    {
    }

    public SimFailureException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
