namespace Wallet.Replication;

/// <summary>
/// Rejoining after data loss (<see cref="RaftOptions.RejoinAfterDataLoss"/>; docs/REPLICATION.md, "Rejoining after data
/// loss"). A replica that forgot its log and its vote must not vote or campaign: its forgotten acknowledgements may be
/// part of a commit majority, and its forgotten vote part of an election. It stays a non-voting catch-up member until,
/// following one leader of term T, it holds durably (and matching that leader) every entry up to max(c0, n) and has
/// heard that leader's commit index reach n, where n is the index of the first entry of T and c0 the highest commit
/// index the leader reported during the first election timeout of contact. Starts over when the term changes.
/// </summary>
public sealed partial class RaftNode
{
    private bool _rejoining;
    private long _rejoinTerm = -1;          // the leader term the catch-up follows; -1 before any contact
    private long _rejoinContactMs;          // first contact with that leader
    private long _rejoinCommitFloor;        // c0: highest leader commit heard in the first election timeout of contact
    private long _rejoinLeaderCommit;       // highest leader commit heard in that term
    private long _rejoinFirstOfTerm = -1;   // n (or an index of term T above it: only stricter); -1 until known
    private long _rejoinQuietUntilMs = long.MinValue; // set at the first Tick or Receive: start + the quiet period

    /// <summary>
    /// True while a rejoining replica is still in its quiet period (<see cref="RaftOptions.RejoinQuietMs"/>): it handles no
    /// message and sends none, as if still down.
    /// </summary>
    public bool RejoinQuiet => _rejoining && _rejoinQuietUntilMs != long.MinValue && _nowMs < _rejoinQuietUntilMs;

    /// <summary>Driver time: starts the quiet period on the first call; true while it lasts (the message is to be ignored).</summary>
    private bool InRejoinQuiet()
    {
        if (!_rejoining) return false;
        if (_rejoinQuietUntilMs == long.MinValue) _rejoinQuietUntilMs = _nowMs + _options.EffectiveRejoinQuietMs;
        return _nowMs < _rejoinQuietUntilMs;
    }

    /// <summary>
    /// True while this node is a non-voting catch-up member after data loss: it neither votes nor campaigns. Becomes
    /// false, for good, once it is durably caught up with a leader; never true without <see cref="RaftOptions.RejoinAfterDataLoss"/>.
    /// </summary>
    public bool Rejoining => _rejoining;

    /// <summary>A message of the current term's leader was accepted: record the vote, track the leader's commit index.</summary>
    private void OnRejoinContact(int leaderId, long leaderCommit)
    {
        if (_rejoinTerm != _term)
        {
            // First contact with this term's leader (or a new term: start over). The leader is recorded as this node's
            // vote in the term, so a forgotten vote of this term can never be followed by a second one.
            _rejoinTerm = _term;
            _rejoinContactMs = _nowMs;
            _rejoinCommitFloor = leaderCommit;
            _rejoinLeaderCommit = leaderCommit;
            _rejoinFirstOfTerm = -1;
            if (_votedFor == RaftHardState.NoVote)
            {
                _votedFor = leaderId;
                PersistHardState(); // durable before this node acknowledges anything in the term
            }

            return;
        }

        // Widened from "the first message": one the leader composed before a late pre-loss acknowledgement committed an
        // entry could report a commit index below it; within an election timeout such stale messages are gone.
        if (_nowMs - _rejoinContactMs < _options.ElectionTimeoutMs && leaderCommit > _rejoinCommitFloor) _rejoinCommitFloor = leaderCommit;
        if (leaderCommit > _rejoinLeaderCommit) _rejoinLeaderCommit = leaderCommit;
    }

    /// <summary>The entry at <paramref name="index"/> matches the leader's and is of the leader's term: n is at most there.</summary>
    private void NoteLeaderTermEntry(long index)
    {
        if (_rejoining && _rejoinTerm == _term && _rejoinFirstOfTerm < 0 && index > 0) _rejoinFirstOfTerm = index;
    }

    /// <summary>After the batch's sync: leaves the rejoin state once durably caught up (see the type comment).</summary>
    private void CheckRejoined()
    {
        if (_rejoinTerm != _term || _rejoinFirstOfTerm < 0) return;
        if (_nowMs - _rejoinContactMs < _options.ElectionTimeoutMs) return; // c0 is still being gathered
        var synced = Math.Min(_log.DurableIndex, _leaderMatchIndex);
        var n = _rejoinFirstOfTerm;
        if (synced >= Math.Max(_rejoinCommitFloor, n) && _rejoinLeaderCommit >= n) _rejoining = false;
    }
}
