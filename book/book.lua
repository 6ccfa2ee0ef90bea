-- book.lua: one numbering scheme for both editions, and the LaTeX book's
-- divisions.  Used by pandoc for the PDF and the HTML edition alike.
--
--   * the preface (and any other `{.unnumbered}` chapter) has no number, nor
--     have its sections;
--   * the chapters are numbered 0, 1, 2, ... (the prologue is chapter 0);
--   * `{.appendix}` chapters are lettered A, B, ...; sections below them
--     A.1, A.2, ...
--
-- In LaTeX the document class numbers the headings: the filter only puts
-- \mainmatter before chapter 0 (the preface stays in the front matter, with
-- roman page numbers), \appendix before the first appendix, \backmatter
-- before an unnumbered chapter after the appendices (the indexes), and a
-- running head (\markboth) after every unnumbered chapter, which LaTeX
-- leaves at the previous chapter's otherwise.  In HTML (no
-- --number-sections) the filter writes the numbers itself, the way pandoc
-- does (<span class="header-section-number">), and gives each chapter the
-- name of the page it goes to (data-page, used by tools/book/htmlpost.py).

local latex = FORMAT:match("latex") ~= nil
local chapter = -1
local appendix = 0
local counters = {}
local unnumbered = false
local in_appendix = false
local started = false
local backmatter = false
local letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

local function raw(s) return pandoc.RawBlock("latex", s) end

-- The table of contents LaTeX will write, with every page number 0, for
-- the first pdflatex pass of a fresh build (BOOK_TOC=path): with a contents
-- of the right length from the start, the front matter's pages do not move
-- between the first and second pass, and two passes are enough.
local toc_path = latex and os.getenv("BOOK_TOC")
local toc = { "\\babel@toc {english}{}\\relax " }
local toc_kinds = { "chapter", "section", "subsection" }
local function tex(s)
  return (s:gsub("[\\{}$&#^_%%~]", function(c)
    if c == "\\" then return "\\textbackslash{}" end
    if c == "^" then return "\\textasciicircum{}" end
    if c == "~" then return "\\textasciitilde{}" end
    return "\\" .. c
  end))
end

function Header(h)
  local before, after = {}, {}
  local number
  if h.level == 1 then
    counters = {}
    if h.classes:includes("unnumbered") then
      unnumbered = true
      if latex then
        if in_appendix and not backmatter then
          table.insert(before, raw("\\backmatter"))
          backmatter = true
        end
        local title = pandoc.utils.stringify(h.content)
        table.insert(after, raw("\\markboth{\\MakeUppercase{" .. title .. "}}{\\MakeUppercase{" .. title .. "}}"))
      end
      h.attributes["data-page"] = h.identifier:gsub("^%a+:", ""):gsub("[^%w%-]", "-")
    elseif h.classes:includes("appendix") then
      unnumbered = false
      appendix = appendix + 1
      number = letters:sub(appendix, appendix)
      if latex and not in_appendix then table.insert(before, raw("\\appendix")) end
      in_appendix = true
      h.attributes["data-page"] = "appendix-" .. number:lower()
    else
      unnumbered = false
      chapter = chapter + 1
      number = tostring(chapter)
      if latex and not started then
        table.insert(before, raw("\\bookmainmatter\\setcounter{chapter}{-1}"))
        started = true
      end
      h.attributes["data-page"] = "chapter-" .. number
    end
    counters.top = number
  else
    if unnumbered or h.classes:includes("unnumbered") then
      if not h.classes:includes("unnumbered") then h.classes:insert("unnumbered") end
    elseif counters.top then
      for l = h.level + 1, 6 do counters[l] = nil end
      counters[h.level] = (counters[h.level] or 0) + 1
      local parts = { counters.top }
      for l = 2, h.level do table.insert(parts, tostring(counters[l] or 0)) end
      number = table.concat(parts, ".")
    end
  end
  if toc_path and toc_kinds[h.level] then
    local title = tex(pandoc.utils.stringify(h.content))
    if number and not h.classes:includes("unnumbered") then title = "\\numberline {" .. number .. "}" .. title end
    table.insert(toc, "\\contentsline {" .. toc_kinds[h.level] .. "}{" .. title .. "}{0}{toc." .. #toc .. "}%")
  end
  if not latex and number then
    h.attributes["data-number"] = number
    table.insert(h.content, 1, pandoc.Space())
    table.insert(h.content, 1, pandoc.Span({ pandoc.Str(number) }, { class = "header-section-number" }))
  end
  if #before == 0 and #after == 0 then return h end
  local out = before
  table.insert(out, h)
  for _, b in ipairs(after) do table.insert(out, b) end
  return out
end

function Pandoc(doc)
  if toc_path then
    local f = io.open(toc_path, "w")
    f:write(table.concat(toc, "\n") .. "\n")
    f:close()
  end
  return doc
end
