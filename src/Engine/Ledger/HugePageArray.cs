using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wallet.Engine.Ledger;

/// <summary>
/// Allocates the ledger's big random-access tables (account rows, transfer slab, id-index buckets) so that Linux
/// backs them with 2 MiB transparent huge pages. Why: a uniform transfer over 1M accounts touches ~10 random cache
/// lines spread over ~400 MB; with 4 KiB pages every one of them is also a TLB miss and a page walk, which software
/// prefetch only partly hides. With THP in "madvise" mode (the common distribution default) the kernel uses huge
/// pages only where asked, so each table is allocated pinned and uninitialised, advised MADV_HUGEPAGE, and only
/// then zeroed — the zeroing is the first touch, so those faults take huge pages.
/// <para>
/// A pure performance hint: the result is an ordinary zeroed managed array (same semantics, same contents; the
/// layout is never observable). Small tables (below <see cref="MinHugeBytes"/>), other operating systems, or a
/// refused madvise fall back to plain 4 KiB pages. Pinned arrays live on the pinned-object heap and are never
/// moved; they are freed by the GC like any array.
/// </para>
/// </summary>
internal static partial class HugePageArray
{
    private const long HugePageBytes = 2L << 20;

    /// <summary>Below this, huge pages would mostly waste memory (small ledgers, tests) and the TLB copes anyway.</summary>
    public const long MinHugeBytes = 16L << 20;

    private const int MadviseHugePage = 14; // MADV_HUGEPAGE (linux/mman.h)

    /// <summary>A zeroed array of <paramref name="length"/> elements, huge-page backed where possible.</summary>
    public static T[] Allocate<T>(int length) where T : unmanaged
    {
        long bytes = (long)length * Unsafe.SizeOf<T>();
        if (bytes < MinHugeBytes || !OperatingSystem.IsLinux()) return new T[length];
        var array = GC.AllocateUninitializedArray<T>(length, pinned: true);
        Advise(array, bytes);
        // First touch after the advice: these stores fault the pages in (as huge pages when the kernel agrees).
        ClearInParallel(array, bytes);
        return array;
    }

    /// <summary>Above this, the first touch is split between threads (one per core, at most <see cref="ParallelWork.MaxThreads"/>).</summary>
    internal const long ParallelClearMinBytes = 64L << 20;

    /// <summary>
    /// Zeroes the array, several threads at once when it is large: the first touch of fresh memory is the kernel
    /// clearing pages (and, on a VM that returns free memory to its host, the host faulting them back in, ~1 ms per
    /// MiB here), and it scales with cores. A replay or restore sizes ~0.5 GB of tables for 1M accounts before it
    /// applies a command (docs/BENCHMARKS.md §25). The result is the same zeroed array whoever wrote which part.
    /// </summary>
    internal static void ClearInParallel<T>(T[] array, long bytes) where T : unmanaged
    {
        int threads = bytes >= ParallelClearMinBytes ? ParallelWork.Threads : 1;
        int part = (array.Length + threads - 1) / threads;
        ParallelWork.Run(threads, "table-clear", t =>
        {
            int from = Math.Min(array.Length, t * part);
            array.AsSpan(from, Math.Min(part, array.Length - from)).Clear();
        });
    }

    /// <summary><see cref="Array.Resize{T}(ref T[], int)"/> into a <see cref="Allocate{T}"/> array.</summary>
    public static void Resize<T>(ref T[] array, int length) where T : unmanaged
    {
        if ((long)length * Unsafe.SizeOf<T>() < MinHugeBytes)
        {
            Array.Resize(ref array, length);
            return;
        }

        var next = Allocate<T>(length);
        array.AsSpan(0, Math.Min(array.Length, length)).CopyTo(next);
        array = next;
    }

    private static unsafe void Advise<T>(T[] array, long bytes) where T : unmanaged
    {
        var start = (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        // Only whole huge pages inside the array: advising memory beyond it would touch the GC's neighbours' advice.
        var from = (start + HugePageBytes - 1) & ~(HugePageBytes - 1);
        var to = (start + bytes) & ~(HugePageBytes - 1);
        if (to <= from) return;
        // Best effort: EINVAL (THP compiled out) or similar only means 4 KiB pages.
        _ = Madvise((nint)from, (nuint)(to - from), MadviseHugePage);
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint lengthBytes, int advice);
}
