using Wallet.Engine.Partition;

namespace Wallet.Engine.Tests.Partition;

public sealed class PayloadPoolTests
{
    [Fact]
    public void Returned_buffers_are_rented_again_and_the_idle_count_is_bounded()
    {
        var pool = new PayloadPool(capacity: 2, bufferBytes: 8192);
        byte[] a = pool.Rent(5000), b = pool.Rent(8192), c = pool.Rent(4097);
        Assert.Equal(3, pool.Allocated);
        Assert.All(new[] { a, b, c }, x => Assert.Equal(8192, x.Length));
        pool.Return(a);
        pool.Return(b);
        pool.Return(c); // no free cell: dropped to the GC
        byte[] d = pool.Rent(6000), e = pool.Rent(6000);
        Assert.True((ReferenceEquals(d, a) && ReferenceEquals(e, b)) || (ReferenceEquals(d, b) && ReferenceEquals(e, a)));
        Assert.Equal(3, pool.Allocated);
        Assert.NotSame(c, pool.Rent(6000)); // c was not kept
        Assert.Equal(4, pool.Allocated);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(8193));
        pool.Return(new byte[100]); // not one of ours: ignored
        Assert.Equal(8192, pool.Rent(4097).Length);
    }

    [Fact]
    public void Concurrent_rent_and_return_never_hand_one_buffer_to_two_holders()
    {
        var pool = new PayloadPool(capacity: 8, bufferBytes: 8192);
        var owners = new System.Collections.Concurrent.ConcurrentDictionary<byte[], int>(ReferenceEqualityComparer.Instance);
        var threads = new Thread[2];
        var failures = 0;
        for (var t = 0; t < threads.Length; t++)
        {
            var id = t;
            threads[t] = new Thread(() =>
            {
                for (var i = 0; i < 20_000; i++)
                {
                    var buffer = pool.Rent(5000);
                    if (!owners.TryAdd(buffer, id)) Interlocked.Increment(ref failures);
                    owners.TryRemove(buffer, out _);
                    pool.Return(buffer);
                }
            });
            threads[t].Start();
        }

        foreach (var t in threads) Assert.True(t.Join(30_000));
        Assert.Equal(0, failures);
        Assert.InRange(pool.Allocated, 1, 8 + 2);
    }
}
