namespace Wallet.Replication.Tests;

public sealed class FileRaftStateStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Missing_file_is_the_initial_state_and_saves_round_trip()
    {
        var path = Path.Combine(_dir.Path, "sub", "raft.state");
        var store = new FileRaftStateStore(path);
        Assert.Equal(RaftHardState.Initial, store.Load());
        store.Save(new RaftHardState(7, 3));
        Assert.Equal(new RaftHardState(7, 3), new FileRaftStateStore(path).Load());
        store.Save(new RaftHardState(8, RaftHardState.NoVote));
        Assert.Equal(new RaftHardState(8, RaftHardState.NoVote), store.Load());
        Assert.False(File.Exists(path + ".tmp"));
        Assert.Equal(FileRaftStateStore.FileBytes, new FileInfo(path).Length);
    }

    [Fact]
    public void Corruption_is_detected_never_used()
    {
        var path = Path.Combine(_dir.Path, "raft.state");
        var store = new FileRaftStateStore(path);
        store.Save(new RaftHardState(5, 1));
        var bytes = File.ReadAllBytes(path);
        for (var i = 0; i < bytes.Length; i++)
        {
            var copy = (byte[])bytes.Clone();
            copy[i] ^= 0x01;
            File.WriteAllBytes(path, copy);
            Assert.Throws<InvalidDataException>(() => store.Load());
        }

        File.WriteAllBytes(path, bytes.AsSpan(0, 20).ToArray());
        Assert.Throws<InvalidDataException>(() => store.Load());
    }

    [Fact]
    public void A_leftover_temp_file_does_not_matter()
    {
        var path = Path.Combine(_dir.Path, "raft.state");
        var store = new FileRaftStateStore(path);
        store.Save(new RaftHardState(2, 2));
        File.WriteAllBytes(path + ".tmp", [1, 2, 3]); // a crash between write and rename
        Assert.Equal(new RaftHardState(2, 2), store.Load());
        store.Save(new RaftHardState(3, 1));
        Assert.Equal(new RaftHardState(3, 1), store.Load());
    }
}
