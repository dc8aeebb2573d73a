namespace Wallet.Client;

/// <summary>
/// A bounded free list of reusable objects. Its own short lock (not the client's): objects come back from the receive
/// loop and from awaiting callers. Beyond <c>capacity</c> returned objects are left to the GC, so a burst cannot pin
/// memory forever.
/// </summary>
internal sealed class ObjectStack<T>(int capacity) where T : class
{
    private readonly Lock _gate = new();
    private readonly T?[] _items = new T?[capacity];
    private int _count;

    public bool TryPop(out T? item)
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                item = null;
                return false;
            }
            item = _items[--_count];
            _items[_count] = null;
            return true;
        }
    }

    public void Push(T item)
    {
        lock (_gate)
        {
            if (_count < _items.Length)
            {
                _items[_count++] = item;
            }
        }
    }
}
