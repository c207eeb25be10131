"""voc.churn."""
