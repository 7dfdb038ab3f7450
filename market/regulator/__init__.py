"""The regulator's work: sanctions, complaints, credit scores and the supervision console."""
