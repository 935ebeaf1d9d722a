.PHONY: book test clean
book: ## export the package and build the site into _build/html
	bash tools/build_book.sh
test: ## run every test (notebooks, export/clean check, wheel, site)
	bash tools/test.sh
clean:
	rm -rf _build _proc _docs book/_static/mathjax
