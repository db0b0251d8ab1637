"""Support for the book's pages: glue (:mod:`~lmtutorial.book.pages`), shared paths and the size profile
(:mod:`~lmtutorial.book.resources`), and chapter 5's goals (:mod:`~lmtutorial.book.goals`)."""
