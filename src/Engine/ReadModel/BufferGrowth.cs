namespace Wallet.Engine.ReadModel;

/// <summary>
/// How the read model's batch buffers grow: doubling, except that a buffer about to pass its expected size (the
/// hint, from <see cref="ReadModelOptions.MaxEventsPerBatch"/>) grows to exactly that size. Why: a batch closes after
/// the record that reaches the event limit, so it overshoots the limit by up to one record's events; with a
/// power-of-two limit, plain doubling then allocated twice the memory the limit implies, for one record.
/// </summary>
internal static class BufferGrowth
{
    /// <summary>The new length for a buffer of <paramref name="length"/> that must hold <paramref name="needed"/>.</summary>
    public static int Next(int length, int needed, int hint)
    {
        long next = Math.Max(2L * length, needed);
        if (length < hint && needed <= hint && next > hint) next = hint;
        if (next > Array.MaxLength) next = Math.Max(needed, Array.MaxLength);
        return (int)next;
    }
}
