"""voc.complaints."""
