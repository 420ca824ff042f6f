"""How the analysis writes its tables as text.

Every CSV file of the analysis (runs.csv, summary.csv, pai.csv, lmc.csv,
instability.csv and the interpolation paths) is written by `csv_text`, with
'\n' line ends whatever the platform.
"""

import csv
import io


def csv_text(header, rows):
  """CSV text of a header row and rows of cells."""
  buffer = io.StringIO()
  csv.writer(buffer, lineterminator='\n').writerows([header] + list(rows))
  return buffer.getvalue()
