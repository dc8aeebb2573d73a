namespace Wallet.Engine.Ring;

/// <summary>Helpers over groups of sequences (gating sets, barrier dependents). Allocation-free.</summary>
internal static class Sequences
{
    /// <summary>Smallest value among <paramref name="sequences"/>, or <paramref name="ceiling"/> if smaller or the set is empty.</summary>
    public static long Minimum(Sequence[] sequences, long ceiling = long.MaxValue)
    {
        long minimum = ceiling;
        for (int i = 0; i < sequences.Length; i++)
        {
            long value = sequences[i].Value;
            if (value < minimum)
            {
                minimum = value;
            }
        }
        return minimum;
    }

    /// <summary>Copy-on-write add: readers iterate a stable array without locks.</summary>
    public static void Add(ref Sequence[] field, Func<long> cursor, Sequence[] added)
    {
        ArgumentNullException.ThrowIfNull(added);
        foreach (Sequence s in added)
        {
            ArgumentNullException.ThrowIfNull(s, nameof(added));
        }
        Sequence[] current;
        Sequence[] updated;
        do
        {
            current = Volatile.Read(ref field);
            updated = new Sequence[current.Length + added.Length];
            Array.Copy(current, updated, current.Length);
            long position = cursor();
            for (int i = 0; i < added.Length; i++)
            {
                // A consumer joining late starts at the current cursor: it must not gate on slots it will never read.
                added[i].SetValue(position);
                updated[current.Length + i] = added[i];
            }
        }
        while (Interlocked.CompareExchange(ref field, updated, current) != current);

        // The cursor may have moved while we swapped the array in; catch the new members up (Disruptor does the same).
        long latest = cursor();
        foreach (Sequence s in added)
        {
            if (s.Value < latest)
            {
                s.SetValue(latest);
            }
        }
    }

    /// <summary>Copy-on-write remove of every occurrence of <paramref name="removed"/>. Returns true if it was present.</summary>
    public static bool Remove(ref Sequence[] field, Sequence removed)
    {
        Sequence[] current;
        Sequence[] updated;
        do
        {
            current = Volatile.Read(ref field);
            int count = 0;
            foreach (Sequence s in current)
            {
                if (ReferenceEquals(s, removed))
                {
                    count++;
                }
            }
            if (count == 0)
            {
                return false;
            }
            updated = new Sequence[current.Length - count];
            int j = 0;
            foreach (Sequence s in current)
            {
                if (!ReferenceEquals(s, removed))
                {
                    updated[j++] = s;
                }
            }
        }
        while (Interlocked.CompareExchange(ref field, updated, current) != current);
        return true;
    }
}
