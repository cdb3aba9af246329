"""Detection: pure text in, verdict out (normaliser, rule loading, index, judge, validators, the clause book)."""
